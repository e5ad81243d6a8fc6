// The disk object server: a replica becomes visible only whole, the newest timestamp wins, tombstones hide older
// data, and a replica whose bytes no longer match its MD5 is quarantined instead of served.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { globSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createDiskObjectServer } from './object-server.ts';
import type { ObjectAddress } from '../rpc/object-server.ts';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const body = (...chunks: Buffer[]) => Readable.from(chunks);
const read = async (r: Readable) => { const parts: Buffer[] = []; for await (const c of r) parts.push(c as Buffer); return Buffer.concat(parts); };

describe('disk object server', () => {
  let root: string;
  const addr: ObjectAddress = { device: 'd1', partition: 7, account: 'AUTH_p', container: 'c', object: 'o' };
  const server = () => createDiskObjectServer({ root, hashSuffix: 'salt', fsync: true });
  before(() => { root = mkdtempSync(join(tmpdir(), 'object-server-')); mkdirSync(join(root, 'd1')); });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('stores a replica with its metadata and reads it back; the newest PUT wins and older files are removed', async () => {
    const s = server();
    const one = Buffer.from('first version');
    await s.put(addr, { timestamp: '1700000000.00001', contentType: 'text/plain', meta: { a: '1' } }, body(one));
    const two = Buffer.from('second');
    const m = await s.put(addr, { timestamp: '1700000000.00002', contentType: 'text/x', meta: {}, expectedEtag: md5(two), expectedSize: two.length }, body(two));
    assert.equal(m.etag, md5(two));
    const got = await s.get(addr, { verify: true });
    assert.ok(got && (await read(got.data)).equals(two));
    assert.equal(got.metadata.contentType, 'text/x');
    assert.equal(globSync('d1/objects/7/*/*', { cwd: root }).length, 1, 'one .data holding bytes and metadata');
    // An older PUT arriving late does not hide the newer one.
    await s.put(addr, { timestamp: '1699999999.00000', contentType: 'text/old', meta: {} }, body(one));
    const state = await s.head(addr);
    assert.equal(state?.kind === 'object' ? state.metadata.timestamp : '', '1700000000.00002');
  });

  it('takes the proxy\'s MD5 of the body when given, and a GET naming a version opens it directly, bytes still checked', async () => {
    const s = server();
    mkdirSync(join(root, 'd2'));
    const at: ObjectAddress = { ...addr, device: 'd2', object: 'given' };
    const data = Buffer.from('hashed once by the proxy');
    let asked = 0;
    const m = await s.put(at, { timestamp: '1700000010.00000', contentType: 't', meta: {}, expectedEtag: md5(data), bodyMd5: () => { asked++; return md5(data); } }, body(data));
    assert.equal(m.etag, md5(data));
    assert.equal(asked, 1);
    const got = await s.get(at, { verify: true, version: m });
    assert.ok(got && (await read(got.data)).equals(data));
    assert.deepEqual(got.metadata, m);
    assert.equal(await s.get(at, { verify: true, version: { ...m, timestamp: '1700000011.00000' } }), undefined, 'a version this replica lacks');
    // The named version's ETag is what the bytes are checked against: a mismatch is a corrupt replica.
    await assert.rejects(s.get(at, { verify: true, version: { ...m, etag: md5(Buffer.from('other')) } }), /corrupt/);
    assert.equal(await s.head(at), undefined, 'quarantined');
  });

  it('a short body or a wrong ETag commits nothing and leaves no temp file', async () => {
    const s = server();
    const other: ObjectAddress = { ...addr, object: 'short' };
    await assert.rejects(s.put(other, { timestamp: '1700000001.00000', contentType: 't', meta: {}, expectedSize: 10 }, body(Buffer.from('abc'))), /not the 10/);
    await assert.rejects(s.put(other, { timestamp: '1700000001.00001', contentType: 't', meta: {}, expectedEtag: md5(Buffer.from('x')) }, body(Buffer.from('abc'))), (e: { status: number }) => e.status === 422);
    const failing = new Readable({ read() { this.push(Buffer.from('partial')); this.destroy(new Error('client went away')); } });
    await assert.rejects(s.put(other, { timestamp: '1700000001.00002', contentType: 't', meta: {} }, failing), /client went away/);
    assert.equal(await s.head(other), undefined);
    assert.deepEqual(globSync('d1/tmp/*', { cwd: root }), []);
  });

  it('reads replicas of the sidecar layout (a data directory written before footers); a new PUT writes one file', async () => {
    const s = server();
    const other: ObjectAddress = { ...addr, object: 'upgraded' };
    await s.put(other, { timestamp: '1700000002.00000', contentType: 't', meta: {} }, body(Buffer.from('placeholder')));
    const [file] = globSync('d1/objects/7/*/1700000002.00000.data', { cwd: root }).filter((f) => readFileSync(join(root, f)).includes('placeholder'));
    const dir = join(root, file, '..');
    unlinkSync(join(root, file));
    // The old layout, as an earlier release wrote it: the bare bytes and a JSON sidecar.
    const old = Buffer.alloc(100_000, 5);
    const oldMeta = { timestamp: '1700000002.00000', etag: md5(old), size: old.length, contentType: 'text/old', meta: { kept: 'yes' } };
    writeFileSync(join(dir, '1700000002.00000.data'), old);
    writeFileSync(join(dir, '1700000002.00000.meta.json'), JSON.stringify(oldMeta));
    const state = await s.head(other);
    assert.deepEqual(state?.kind === 'object' ? state.metadata : undefined, oldMeta);
    for (const verify of [true, false]) assert.deepEqual(await read((await s.get(other, { verify }))!.data), old);
    assert.deepEqual(await read((await s.get(other, { verify: true, range: { start: 99_990, end: 99_999 } }))!.data), old.subarray(99_990));
    assert.equal(await s.post(other, { timestamp: '1700000002.50000', meta: { b: '2' } }), true);
    assert.deepEqual((await s.get(other, { verify: true }))!.metadata.meta, { b: '2' });
    // A sidecar-layout replica whose bytes grew is corrupt, as before.
    writeFileSync(join(dir, '1700000002.00000.data'), Buffer.concat([old, Buffer.from('x')]));
    await assert.rejects(s.get(other, { verify: false }), /corrupt/);
    // The next PUT replaces it with a single file.
    await s.put(other, { timestamp: '1700000003.00000', contentType: 't', meta: {} }, body(Buffer.from('new')));
    assert.deepEqual(globSync('*', { cwd: dir }), ['1700000003.00000.data']);
    assert.deepEqual(await read((await s.get(other, { verify: true }))!.data), Buffer.from('new'));
  });

  it('reads metadata longer than one tail read, for small and large objects', async () => {
    const s = server();
    const meta = { long: 'm'.repeat(40_000) };
    for (const [name, data] of [['long-small', Buffer.from('tiny')], ['long-large', Buffer.alloc(100_000, 4)]] as const) {
      const at: ObjectAddress = { ...addr, object: name };
      const m = await s.put(at, { timestamp: '1700000003.20000', contentType: 't', meta }, body(data));
      const state = await s.head(at);
      assert.deepEqual(state?.kind === 'object' ? state.metadata : undefined, m);
      for (const verify of [true, false]) assert.deepEqual(await read((await s.get(at, { verify }))!.data), data);
      assert.deepEqual(await read((await s.get(at, { verify: true, version: m }))!.data), data);
    }
  });

  it('a replica whose footer is damaged is quarantined by HEAD and GET, never misread', async () => {
    const s = server();
    for (const name of ['h', 'g']) {
      const other: ObjectAddress = { ...addr, object: `footer-${name}` };
      await s.put(other, { timestamp: '1700000003.10000', contentType: 't', meta: {} }, body(Buffer.from(`footer ${name}`)));
    }
    for (const f of globSync('d1/objects/7/*/1700000003.10000.data', { cwd: root })) {
      const bad = readFileSync(join(root, f));
      bad[bad.length - 1] ^= 1;
      writeFileSync(join(root, f), bad);
    }
    const quarantined = globSync('d1/quarantined/objects/*', { cwd: root }).length;
    assert.equal(await s.head({ ...addr, object: 'footer-h' }), undefined);
    await assert.rejects(s.get({ ...addr, object: 'footer-g' }, { verify: false }), /corrupt/);
    assert.equal(globSync('d1/quarantined/objects/*', { cwd: root }).length, quarantined + 2);
  });

  it('POST replaces metadata, DELETE writes a tombstone that hides the data', async () => {
    const s = server();
    const other: ObjectAddress = { ...addr, object: 'meta' };
    await s.put(other, { timestamp: '1700000004.00000', contentType: 't', meta: { a: '1' }, deleteAt: 2000000000 }, body(Buffer.from('x')));
    assert.equal(await s.post(other, { timestamp: '1700000005.00000', meta: { b: '2' }, deleteAt: null }), true);
    const state = await s.head(other);
    assert.deepEqual(state?.kind === 'object' ? [state.metadata.meta, state.metadata.deleteAt] : [], [{ b: '2' }, undefined]);
    await s.delete(other, { timestamp: '1700000006.00000' });
    assert.deepEqual(await s.head(other), { kind: 'deleted', timestamp: '1700000006.00000' });
    assert.equal(await s.get(other, { verify: false }), undefined);
    assert.equal(await s.post(other, { timestamp: '1700000007.00000', meta: {} }), false);
  });

  it('quarantines a replica whose bytes changed: up front when verifying, at the end of an unverified stream', async () => {
    const s = server();
    const data = Buffer.alloc(200_000, 7);
    for (const name of ['v', 'stream']) {
      const other: ObjectAddress = { ...addr, object: name };
      await s.put(other, { timestamp: '1700000008.00000', contentType: 't', meta: {} }, body(data));
    }
    for (const f of globSync('d1/objects/7/*/1700000008.00000.data', { cwd: root })) {
      const bad = readFileSync(join(root, f));
      bad[150_000] = 8;
      unlinkSync(join(root, f));
      writeFileSync(join(root, f), bad);
    }
    await assert.rejects(s.get({ ...addr, object: 'v' }, { verify: true }), /corrupt/);
    const streamed = await s.get({ ...addr, object: 'stream' }, { verify: false });
    await assert.rejects(read(streamed!.data), /corrupt/);
    assert.equal(await s.head({ ...addr, object: 'v' }), undefined);
    assert.equal(await s.head({ ...addr, object: 'stream' }), undefined);
    assert.equal(globSync('d1/quarantined/objects/*/1700000008.00000.data', { cwd: root }).length, 2);
  });
  it('verified reads serve the checked bytes, whole or ranged, small (read once) and large (read twice)', async () => {
    const s = server();
    // Many small chunks (gathered into larger writes) and one large body, past the single-read size.
    const small = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    const large = Buffer.alloc(3 * 1024 * 1024 + 17, 3);
    const chunks = (b: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size)));
    for (const [name, data, size] of [['small', small, 100], ['large', large, 65_536]] as const) {
      const at: ObjectAddress = { ...addr, object: name };
      const stored = await s.put(at, { timestamp: '1700000009.00000', contentType: 't', meta: {} }, chunks(data, size));
      assert.equal(stored.etag, md5(data));
      assert.deepEqual(await read((await s.get(at, { verify: true }))!.data), data);
      assert.deepEqual(await read((await s.get(at, { verify: true, range: { start: 5, end: 60_004 } }))!.data), data.subarray(5, 60_005));
    }
    for (const f of globSync('d1/objects/7/*/1700000009.00000.data', { cwd: root })) {
      const bad = readFileSync(join(root, f));
      bad[65_000] ^= 1;
      unlinkSync(join(root, f));
      writeFileSync(join(root, f), bad);
    }
    await assert.rejects(s.get({ ...addr, object: 'small' }, { verify: true, range: { start: 0, end: 9 } }), /corrupt/);
    await assert.rejects(s.get({ ...addr, object: 'large' }, { verify: true }), /corrupt/);
  });

  it('a device whose tmp directory went away takes PUTs again', async () => {
    const s = server();
    await s.put({ ...addr, object: 't1' }, { timestamp: '1700000010.00000', contentType: 't', meta: {} }, body(Buffer.from('one')));
    rmSync(join(root, 'd1', 'tmp'), { recursive: true });
    await s.put({ ...addr, object: 't2' }, { timestamp: '1700000010.00000', contentType: 't', meta: {} }, body(Buffer.from('two')));
    assert.deepEqual(await read((await s.get({ ...addr, object: 't2' }, { verify: true }))!.data), Buffer.from('two'));
  });
});
