// The storage node's replication side: suffix digests that track every change, pushes that never let older data
// beat a newer version or a tombstone, pushed bytes checked against their MD5, and handoff drops that keep news.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, globSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { silentLogger } from '#lib/log.ts';
import { nameHash } from '../domain/ring/ring.ts';
import type { ObjectAddress } from '../rpc/object-server.ts';
import { auditPass } from './auditor.ts';
import { createDiskObjectServer } from './object-server.ts';
import { splitReplica } from './replica-file.ts';
import { createReplicationEndpoint } from './replication-endpoint.ts';
import { createSuffixHashes } from './suffix-hashes.ts';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const salt = 'salt';

describe('replication endpoint and suffix hashes', () => {
  let root: string;
  // The clock stands just after the tests' timestamps, so no tombstone is old enough to reclaim unless a test says so.
  const node = (reclaimAgeSeconds = 3600, now = () => 1700001000) => {
    const hashes = createSuffixHashes({ root, reclaimAgeSeconds, now });
    return {
      hashes,
      server: createDiskObjectServer({ root, hashSuffix: salt, fsync: false, hashes }),
      endpoint: createReplicationEndpoint({ root, fsync: false, hashes, available: (d) => existsSync(join(root, d)) }),
    };
  };
  const at = (device: string, object: string): ObjectAddress => ({ device, partition: 3, account: 'AUTH_p', container: 'c', object });
  const hashOf = (object: string) => nameHash({ hashSuffix: salt }, 'AUTH_p', 'c', object);
  const put = (n: ReturnType<typeof node>, a: ObjectAddress, body: string, timestamp: string) =>
    n.server.put(a, { timestamp, contentType: 'text/plain', meta: {} }, Readable.from([Buffer.from(body)]));

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'object-replication-'));
    for (const d of ['d1', 'd2']) mkdirSync(join(root, d));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('suffix digests change for the suffix a write touches and only for it; a cache from another process is redone', async () => {
    const n = node();
    await put(n, at('d1', 'a'), 'one', '1700000000.00000');
    await put(n, at('d1', 'b'), 'two', '1700000000.00000');
    const first = await n.endpoint.suffixHashes('d1', 3);
    assert.deepEqual(Object.keys(first).sort(), [hashOf('a'), hashOf('b')].map((h) => h.slice(-3)).sort());
    await n.server.delete(at('d1', 'a'), { timestamp: '1700000001.00000' });
    const second = await n.endpoint.suffixHashes('d1', 3);
    assert.notEqual(second[hashOf('a').slice(-3)], first[hashOf('a').slice(-3)]);
    assert.equal(second[hashOf('b').slice(-3)], first[hashOf('b').slice(-3)]);
    assert.ok(existsSync(join(root, 'd1/objects/3/hashes.json')));
    // A restarted node does not trust the old cache: a change it never saw (a write by hand) shows.
    rmSync(join(root, 'd1/objects/3', hashOf('b')), { recursive: true });
    assert.deepEqual(Object.keys(await node().endpoint.suffixHashes('d1', 3)), [hashOf('a').slice(-3)]);
    assert.deepEqual(await n.endpoint.suffixHashes('d2', 3), {}, 'a partition the device does not hold');
  });

  it('pushes never let older data beat a newer version or a tombstone, and a newer tombstone removes old data', async () => {
    const n = node();
    await put(n, at('d1', 'win'), 'new', '1700000010.00000');
    await n.server.delete(at('d2', 'win'), { timestamp: '1700000011.00000' });
    await put(n, at('d2', 'old'), 'old bytes', '1700000005.00000');
    await n.server.delete(at('d1', 'old'), { timestamp: '1700000006.00000' });
    const [fromD1] = await n.endpoint.versions('d1', 3, [hashOf('win').slice(-3)]).then((vs) => vs.filter((v) => v.hash === hashOf('win')));
    const files = await n.endpoint.readVersion('d1', 3, fromD1);
    assert.equal(await n.endpoint.receive('d2', 3, files!), false, 'data older than the tombstone there');
    assert.deepEqual(await n.server.head(at('d2', 'win')), { kind: 'deleted', timestamp: '1700000011.00000' });
    const [tomb] = (await n.endpoint.versions('d1', 3, [hashOf('old').slice(-3)])).filter((v) => v.hash === hashOf('old'));
    assert.equal(tomb.kind, 'ts');
    assert.equal(await n.endpoint.receive('d2', 3, (await n.endpoint.readVersion('d1', 3, tomb))!), true);
    assert.deepEqual(await n.server.head(at('d2', 'old')), { kind: 'deleted', timestamp: '1700000006.00000' });
    assert.deepEqual(globSync(`d2/objects/3/${hashOf('old')}/*`, { cwd: root }), [`d2/objects/3/${hashOf('old')}/1700000006.00000.ts`]);
  });

  it('pushed bytes that do not match their size and MD5 are refused, leaving nothing behind', async () => {
    const n = node();
    const hash = hashOf('forged');
    const metadata = { timestamp: '1700000020.00000', etag: md5('genuine'), size: 7, contentType: 't', meta: {} };
    await assert.rejects(n.endpoint.receive('d2', 3, { hash, kind: 'data', metadata, data: Readable.from([Buffer.from('forgery')]) }), /does not match/);
    assert.equal(await n.server.head(at('d2', 'forged')), undefined);
    assert.deepEqual(globSync('d2/tmp/*.data', { cwd: root }), []);
    assert.equal(await n.endpoint.receive('d2', 3, { hash, kind: 'data', metadata, data: Readable.from([Buffer.from('genuine')]) }), true);
    const got = await n.server.get(at('d2', 'forged'), { verify: true });
    assert.ok(got);
    got.data.destroy();
  });

  it('a POST one replica missed travels as metadata only', async () => {
    const n = node();
    for (const d of ['d1', 'd2']) await put(n, at(d, 'meta'), 'same bytes', '1700000030.00000');
    await n.server.post(at('d1', 'meta'), { timestamp: '1700000031.00000', meta: { color: 'blue' } });
    const [v] = (await n.endpoint.versions('d1', 3, [hashOf('meta').slice(-3)])).filter((x) => x.hash === hashOf('meta'));
    assert.equal(v.metaTimestamp, '1700000031.00000');
    const files = await n.endpoint.readVersion('d1', 3, v, { metadataOnly: true });
    assert.ok(files?.kind === 'data' && files.data === undefined);
    assert.equal(await n.endpoint.receive('d2', 3, files), true);
    const state = await n.server.head(at('d2', 'meta'));
    assert.deepEqual(state?.kind === 'object' ? state.metadata.meta : undefined, { color: 'blue' });
    assert.equal(await n.endpoint.receive('d2', 3, files), false, 'nothing newer the second time');
  });

  it('dropping a handoff version keeps anything newer; tombstones past reclaim_age are removed while hashing', async () => {
    let now = 1700000100;
    const n = node(3600, () => now);
    await put(n, at('d1', 'handoff'), 'v1', '1700000040.00000');
    const [v1] = (await n.endpoint.versions('d1', 3, [hashOf('handoff').slice(-3)])).filter((x) => x.hash === hashOf('handoff'));
    await put(n, at('d1', 'handoff'), 'v2', '1700000041.00000');
    await n.endpoint.drop('d1', 3, v1);
    const state = await n.server.head(at('d1', 'handoff'));
    assert.equal(state?.kind === 'object' ? state.metadata.timestamp : '', '1700000041.00000');
    await n.server.delete(at('d1', 'reclaimed'), { timestamp: '1700000050.00000' });
    assert.ok((await n.endpoint.versions('d1', 3, [hashOf('reclaimed').slice(-3)])).some((x) => x.hash === hashOf('reclaimed')));
    now = 1700000050 + 3601;
    const digests = await node(3600, () => now).endpoint.suffixHashes('d1', 3);
    assert.ok(!existsSync(join(root, 'd1/objects/3', hashOf('reclaimed'))));
    assert.ok(!JSON.stringify(digests).includes('reclaimed'));
    assert.ok(readFileSync(join(root, 'd1/objects/3/hashes.json'), 'utf8').length > 0);
  });

  it('hashing removes the files of a PUT that arrived after a newer one', async () => {
    const n = node();
    await put(n, at('d1', 'late'), 'newer', '1700000060.00000');
    await put(n, at('d1', 'late'), 'older, arriving late', '1700000059.00000');
    assert.equal(globSync(`d1/objects/3/${hashOf('late')}/*`, { cwd: root }).length, 2);
    await n.endpoint.suffixHashes('d1', 3);
    assert.deepEqual(globSync(`d1/objects/3/${hashOf('late')}/*`, { cwd: root }).map((f) => f.split('/').at(-1)).sort(), ['1700000060.00000.data']);
  });

  it('a replica of the sidecar layout (an upgraded data directory) hashes, audits and pushes like one of the new layout', async () => {
    const n = node();
    for (const d of ['d5', 'd6']) mkdirSync(join(root, d));
    const ts = '1700000070.00000';
    const bytes = Buffer.from('written by an earlier release');
    await put(n, at('d6', 'legacy'), bytes.toString(), ts);
    // d5 holds the same version as an earlier release wrote it: the bare bytes and a JSON sidecar.
    const dir = join(root, 'd5/objects/3', hashOf('legacy'));
    mkdirSync(dir, { recursive: true });
    const metadata = { timestamp: ts, etag: md5(bytes), size: bytes.length, contentType: 'text/plain', meta: {} };
    writeFileSync(join(dir, `${ts}.data`), bytes);
    writeFileSync(join(dir, `${ts}.meta.json`), JSON.stringify(metadata));
    assert.deepEqual(await n.endpoint.suffixHashes('d5', 3), await n.endpoint.suffixHashes('d6', 3), 'in sync whatever the layout');
    const report = await auditPass({ root, devices: ['d5', 'd6'], bytesPerSecond: 0, hashes: n.hashes, log: silentLogger() });
    assert.deepEqual([report.objects, report.bytes, report.quarantined, report.errors], [2, 2 * bytes.length, 0, 0]);
    // Pushed from the old layout, it lands as one file with the metadata in its footer.
    rmSync(join(root, 'd6/objects'), { recursive: true });
    const [v] = await n.endpoint.versions('d5', 3, [hashOf('legacy').slice(-3)]);
    assert.equal(await n.endpoint.receive('d6', 3, (await n.endpoint.readVersion('d5', 3, v))!), true);
    const files = globSync(`d6/objects/3/${hashOf('legacy')}/*`, { cwd: root });
    assert.deepEqual(files.map((f) => f.split('/').at(-1)), [`${ts}.data`]);
    assert.deepEqual(splitReplica(readFileSync(join(root, files[0]))), { bytes, metadata });
    assert.deepEqual(await n.endpoint.suffixHashes('d5', 3), await n.endpoint.suffixHashes('d6', 3));
  });

  it('refuses addresses that are not a device, a partition and an object hash', async () => {
    const n = node();
    await assert.rejects(n.endpoint.receive('../d1', 3, { hash: hashOf('x'), kind: 'ts', timestamp: '1700000000.00000' }), (e: { status: number }) => e.status === 400);
    await assert.rejects(n.endpoint.receive('d1', 3, { hash: '../../etc', kind: 'ts', timestamp: '1700000000.00000' }), (e: { status: number }) => e.status === 400);
    await assert.rejects(n.endpoint.readVersion('d1', -1, { hash: hashOf('x'), kind: 'ts', timestamp: '1700000000.00000' }), (e: { status: number }) => e.status === 400);
  });
});
