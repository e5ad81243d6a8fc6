// The storage node over HTTP and its client, round trip: object calls (streamed PUT, GET, Range, HEAD, POST, DELETE),
// errors rebuilt as the in-process ones, replication calls, the signature required, and every bad address part a 400.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { silentLogger } from '#lib/log.ts';
import { buildRing } from '../domain/ring/ring-builder.ts';
import type { Ring } from '../domain/ring/ring.ts';
import { createStorageNodeClient } from '../rpc/object-server-http-client.ts';
import type { StorageNodeClient } from '../rpc/object-server-http-client.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signRequest } from '../rpc/storage-node-wire.ts';
import { createDiskObjectServer } from './object-server.ts';
import { startStorageNodePasses } from './storage-node-passes.ts';
import type { StorageNodePasses } from './storage-node-passes.ts';
import { createStorageNodeHttp } from './storage-node-http.ts';
import type { StorageNodeHttpServer } from './storage-node-http.ts';

const SECRET = 'node-test-secret';
const log = silentLogger();
let dir: string;
let ring: Ring;
let node: StorageNodeHttpServer;
let passes: StorageNodePasses;
let client: StorageNodeClient;
let port: number;

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const text = async (r: Readable) => { const c: Buffer[] = []; for await (const x of r) c.push(x as Buffer); return Buffer.concat(c).toString(); };
const addr = (object: string, device = 'd1') => ({ device, partition: 3, account: 'AUTH_p', container: 'c', object });
const put = (object: string, body: string, ts: string, extra: Record<string, unknown> = {}) =>
  client.put(addr(object), { timestamp: ts, contentType: 'text/plain', meta: { color: 'blé' }, ...extra }, Readable.from([Buffer.from(body)]));

/** A raw request to the node, signed with `secret` (or not at all). */
function raw(method: string, path: string, secret?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ts = Math.floor(Date.now() / 1000);
    const signed = secret ? { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signRequest(secret, method, path, ts) } : {};
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...signed, ...headers } }, async (res) => resolve({ status: res.statusCode!, body: await text(res) }));
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'storage-node-http-'));
  for (const d of ['d1', 'd2']) mkdirSync(join(dir, d));
  passes = startStorageNodePasses({ ring: buildRing({ partPower: 4, replicas: 2, hashSuffix: 's', devices: [{ id: 0, name: 'd1', zone: 1, weight: 1 }, { id: 1, name: 'd2', zone: 2, weight: 1 }] }),
    root: dir, log, devices: ['d1', 'd2'], options: { fsync: false, replicator_interval: 0, auditor_interval: 0, auditor_bytes_per_second: 0, reclaim_age: 3600 } });
  const objects = createDiskObjectServer({ root: dir, hashSuffix: 's', fsync: false, hashes: passes.hashes });
  node = createStorageNodeHttp({ ring: { partPower: 4, hashSuffix: 's' }, devices: ['d1', 'd2'], objects, replication: passes.endpoint, secret: SECRET, log });
  port = await node.listen('127.0.0.1', 0);
  ring = buildRing({ partPower: 4, replicas: 2, hashSuffix: 's', devices: [
    { id: 0, name: 'd1', zone: 1, weight: 1, ip: '127.0.0.1', port }, { id: 1, name: 'd2', zone: 2, weight: 1, ip: '127.0.0.1', port },
    { id: 2, name: 'd3', zone: 3, weight: 1, ip: '127.0.0.1', port }] });
  client = createStorageNodeClient({ ring, secret: SECRET, log, timeoutMs: 5000, checkIntervalMs: 0 });
});

after(async () => {
  client.close();
  await passes.stop();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

test('objects round trip: streamed PUT, GET, Range, HEAD, POST, DELETE', async () => {
  const body = 'hello storage node '.repeat(5000);
  const m = await client.put(addr('a/b//c ü'), { timestamp: '1700000000.00001', contentType: 'text/plain', meta: { color: 'blé' }, expectedEtag: md5(Buffer.from(body)), expectedSize: body.length },
    Readable.from((function* () { for (let i = 0; i < body.length; i += 1000) yield Buffer.from(body.slice(i, i + 1000)); })()));
  assert.equal(m.etag, md5(Buffer.from(body)));
  assert.equal(m.size, body.length);
  const got = await client.get(addr('a/b//c ü'), { verify: true });
  assert.deepEqual(got?.metadata.meta, { color: 'blé' });
  assert.equal(await text(got!.data), body);
  const ranged = await client.get(addr('a/b//c ü'), { range: { start: 6, end: 12 }, verify: false });
  assert.equal(await text(ranged!.data), 'storage');
  assert.equal((await client.head(addr('a/b//c ü')))?.kind, 'object');
  assert.equal(await client.post(addr('a/b//c ü'), { timestamp: '1700000001.00000', meta: { size: 'L' }, contentType: 'text/x' }), true);
  const head = await client.head(addr('a/b//c ü'));
  assert.ok(head?.kind === 'object' && head.metadata.contentType === 'text/x' && head.metadata.meta.size === 'L');
  assert.equal(await client.post(addr('nothing'), { timestamp: '1700000001.00000', meta: {} }), false);
  await client.delete(addr('a/b//c ü'), { timestamp: '1700000002.00000' });
  assert.deepEqual(await client.head(addr('a/b//c ü')), { kind: 'deleted', timestamp: '1700000002.00000' });
  assert.equal(await client.get(addr('a/b//c ü'), { verify: false }), undefined);
  assert.equal(await client.head(addr('never')), undefined);
});

test('errors come back as the in-process ones: wrong ETag 422, short body 400, corrupt replica quarantined', async () => {
  await assert.rejects(put('e', 'abc', '1700000000.00001', { expectedEtag: md5(Buffer.from('abd')) }), (e: { status: number }) => e.status === 422);
  await assert.rejects(put('e', 'abc', '1700000000.00001', { expectedSize: 4 }), (e: { status: number }) => e.status === 400);
  assert.equal(await client.head(addr('e')), undefined);
  await put('corrupt', 'good bytes', '1700000000.00001');
  const objects = join(dir, 'd1', 'objects', '3');
  const hashDir = readdirSync(objects).map((h) => join(objects, h)).find((p) => readdirSync(p).some((f) => f.endsWith('.data') && f.startsWith('1700000000.00001')) && readdirSync(p).length === 1)!;
  writeFileSync(join(hashDir, '1700000000.00001.data'), 'bad bytes!');
  await assert.rejects(client.get(addr('corrupt'), { verify: true }), (e: Error) => e.name === 'CorruptReplica');
  assert.ok(readdirSync(join(dir, 'd1', 'quarantined')).length > 0);
});

test('replication calls: hashes, versions, read a version, push it to another device, drop it', async () => {
  await put('r', 'replicate me', '1700000005.00000');
  const hashes = await client.suffixHashes('d1', 3);
  const suffixes = Object.keys(hashes);
  assert.ok(suffixes.length > 0);
  assert.deepEqual(await client.partitions('d1'), [3]);
  const versions = await client.versions('d1', 3, suffixes);
  const v = versions.find((x) => x.timestamp === '1700000005.00000')!;
  const files = await client.readVersion('d1', 3, v);
  assert.ok(files?.kind === 'data' && files.data);
  assert.equal(await client.receive('d2', 3, files), true);
  const onD2 = await client.get(addr('r', 'd2'), { verify: true });
  assert.equal(await text(onD2!.data), 'replicate me');
  assert.equal(await client.receive('d2', 3, { hash: v.hash, kind: 'ts', timestamp: '1700000004.00000' }), false, 'an older tombstone loses');
  await client.drop('d2', 3, v);
  assert.equal(await client.head(addr('r', 'd2')), undefined);
  assert.equal(await client.readVersion('d1', 3, { ...v, timestamp: '1700000001.00000' }), undefined);
});

test('a request without the secret is refused and changes nothing', async () => {
  const path = `/d1/3/AUTH_p/c/${encodeURIComponent('x')}`;
  assert.equal((await raw('HEAD', path)).status, 401);
  assert.equal((await raw('DELETE', path, 'wrong', { 'x-timestamp': '1700000009.00000' })).status, 401);
  assert.equal((await raw('GET', '/_node/devices')).status, 401);
  const stale = await new Promise<number>((resolve, reject) => {
    const ts = Math.floor(Date.now() / 1000) - 600;
    request({ host: '127.0.0.1', port, method: 'GET', path: '/_node/devices', headers: { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signRequest(SECRET, 'GET', '/_node/devices', ts) } },
      (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject).end();
  });
  assert.equal(stale, 401, 'an old signature is not replayable');
  const wrong = createStorageNodeClient({ ring, secret: 'wrong', log, timeoutMs: 5000, checkIntervalMs: 0 });
  await assert.rejects(wrong.put(addr('x'), { timestamp: '1700000009.00000', contentType: 't', meta: {} }, Readable.from([Buffer.from('x')])), (e: { status: number }) => e.status === 503);
  wrong.close();
  assert.equal(await client.head(addr('x')), undefined);
  assert.deepEqual(JSON.parse((await raw('GET', '/_node/devices', SECRET)).body).devices, ['d1', 'd2']);
});

test('bad address parts are 400, devices not served here 507', async () => {
  const bad = [
    '/d1/abc/AUTH_p/c/o', '/d1/16/AUTH_p/c/o', '/d1/-1/AUTH_p/c/o', '/..%2F..%2Fetc/3/AUTH_p/c/o', '/d1/3/AUTH_p/c/o%00x', '/d1/3/AUTH_p/c%2Fd/o',
    '/d1/3/AUTH_p/c/%E0%A4%A', `/d1/3/AUTH_p/c/${'o'.repeat(1025)}`, '/d1/3//c/o', '/_replication/d1/3/versions', '/_replication/d1/99/hashes',
  ];
  for (const path of bad) {
    const method = path.startsWith('/_replication') ? 'POST' : 'HEAD';
    const r = await raw(method, path, SECRET, method === 'POST' ? { 'content-type': 'application/json' } : {});
    assert.equal(r.status, 400, `${method} ${path}`);
  }
  assert.equal((await raw('DELETE', '/d1/3/AUTH_p/c/o', SECRET, { 'x-timestamp': 'yesterday' })).status, 400);
  assert.equal((await raw('PUT', '/d1/3/AUTH_p/c/o', SECRET, { 'x-timestamp': '1700000000.00000', 'x-backend-meta': '!!' })).status, 400);
  assert.equal((await raw('HEAD', '/d3/3/AUTH_p/c/o', SECRET)).status, 507);
  assert.equal((await raw('GET', '/d1/3', SECRET)).status, 404);
  assert.equal(readdirSync(dir).sort().join(), 'd1,d2', 'nothing written outside the devices');
});

test('a node that stops answering is marked unavailable', async () => {
  const other = createStorageNodeHttp({ ring: { partPower: 4, hashSuffix: 's' }, devices: ['d9'], objects: createDiskObjectServer({ root: dir, hashSuffix: 's', fsync: false }), replication: passes.endpoint, secret: SECRET, log });
  const otherPort = await other.listen('127.0.0.1', 0);
  await other.close();
  const c = createStorageNodeClient({ ring: { ...ring, devices: [{ id: 0, name: 'd9', zone: 1, weight: 1, ip: '127.0.0.1', port: otherPort }] }, secret: SECRET, log, timeoutMs: 2000, checkIntervalMs: 0 });
  assert.equal(c.available('d9'), true, 'assumed up until it fails');
  await assert.rejects(c.head(addr('o', 'd9')));
  assert.equal(c.available('d9'), false);
  c.close();
});

test('a node whose ring has another hash suffix is not used; the probe brings a good node back', async () => {
  const mismatched = createStorageNodeClient({ ring: { ...ring, hashSuffix: 'other' }, secret: SECRET, log, timeoutMs: 2000, checkIntervalMs: 0 });
  await mismatched.check();
  assert.equal(mismatched.available('d1'), false);
  mismatched.close();
  const good = createStorageNodeClient({ ring, secret: SECRET, log, timeoutMs: 2000, checkIntervalMs: 0 });
  await good.check();
  assert.equal(good.available('d1'), true);
  assert.equal(good.available('d3'), false, 'd3 is not present on that node');
  good.close();
});
