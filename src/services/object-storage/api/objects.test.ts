// Objects through the Swift API: upload (plain and chunked), download, ranges, preconditions, metadata, copy, expiry
// and delete, with Swift's status codes and headers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { globSync } from 'node:fs';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('object storage objects', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  before(async () => {
    os = await startObjectStorage({ expirer_interval: 1 });
    token = os.as.alice.token;
    base = os.account(os.as.alice);
    assert.equal((await os.call('PUT', `${base}/files`, { token })).status, 201);
  });
  after(() => os?.close());

  it('stores an object and serves it back byte for byte with its ETag, type, metadata and request ids', async () => {
    const data = randomBytes(300_000);
    const put = await os.call('PUT', `${base}/files/dir/a.bin`, { token, body: data, headers: { 'content-type': 'application/x-test', 'x-object-meta-color': 'blue', etag: md5(data) } });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('etag'), md5(data));
    assert.match(put.headers.get('x-trans-id') ?? '', /^req-/);
    assert.equal(put.headers.get('x-openstack-request-id'), put.headers.get('x-trans-id'));
    const got = await os.call('GET', `${base}/files/dir/a.bin`, { token });
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(data));
    assert.equal(got.headers.get('etag'), md5(data));
    assert.equal(got.headers.get('content-type'), 'application/x-test');
    assert.equal(got.headers.get('x-object-meta-color'), 'blue');
    assert.equal(got.headers.get('accept-ranges'), 'bytes');
    const head = await os.call('HEAD', `${base}/files/dir/a.bin`, { token });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));
    assert.ok(head.headers.get('last-modified'));
  });

  it('accepts a chunked upload, guesses the content type from the name, and refuses a wrong ETag with 422 leaving nothing', async () => {
    const parts = [randomBytes(70_000), randomBytes(5), randomBytes(100_000)];
    const stream = new ReadableStream<Uint8Array>({ start(c) { for (const p of parts) c.enqueue(p); c.close(); } });
    const put = await os.call('PUT', `${base}/files/chunked.txt`, { token, body: stream });
    assert.equal(put.status, 201);
    const whole = Buffer.concat(parts);
    const got = await os.call('GET', `${base}/files/chunked.txt`, { token });
    assert.ok(got.bytes.equals(whole));
    assert.equal(got.headers.get('content-type'), 'text/plain');

    const bad = await os.call('PUT', `${base}/files/bad-etag`, { token, body: 'hello', headers: { etag: md5(Buffer.from('other')) } });
    assert.equal(bad.status, 422);
    assert.equal((await os.call('HEAD', `${base}/files/bad-etag`, { token })).status, 404);
  });

  it('serves one range as 206 and several as multipart/byteranges, and 416 beyond the end', async () => {
    const data = Buffer.from('0123456789abcdefghij');
    await os.call('PUT', `${base}/files/ranged`, { token, body: data });
    const one = await os.call('GET', `${base}/files/ranged`, { token, headers: { range: 'bytes=2-5' } });
    assert.equal(one.status, 206);
    assert.equal(one.text, '2345');
    assert.equal(one.headers.get('content-range'), 'bytes 2-5/20');
    const suffix = await os.call('GET', `${base}/files/ranged`, { token, headers: { range: 'bytes=-3' } });
    assert.equal(suffix.text, 'hij');
    const multi = await os.call('GET', `${base}/files/ranged`, { token, headers: { range: 'bytes=0-1,10-12' } });
    assert.equal(multi.status, 206);
    const boundary = /boundary=(\w+)/.exec(multi.headers.get('content-type') ?? '')?.[1];
    assert.ok(boundary);
    assert.equal(Number(multi.headers.get('content-length')), multi.bytes.length);
    assert.match(multi.text, /Content-Range: bytes 0-1\/20\r\n\r\n01\r\n/);
    assert.match(multi.text, /Content-Range: bytes 10-12\/20\r\n\r\nabc\r\n/);
    assert.ok(multi.text.endsWith(`--${boundary}--`));
    const beyond = await os.call('GET', `${base}/files/ranged`, { token, headers: { range: 'bytes=20-30' } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), 'bytes */20');
  });

  it('honours If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since', async () => {
    const data = Buffer.from('conditional');
    await os.call('PUT', `${base}/files/cond`, { token, body: data });
    const etag = md5(data);
    const status = async (headers: Record<string, string>) => (await os.call('GET', `${base}/files/cond`, { token, headers })).status;
    assert.equal(await status({ 'if-match': `"${etag}"` }), 200);
    assert.equal(await status({ 'if-match': '"nope"' }), 412);
    assert.equal(await status({ 'if-none-match': etag }), 304);
    assert.equal(await status({ 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() }), 304);
    assert.equal(await status({ 'if-unmodified-since': new Date(Date.now() - 3_600_000).toUTCString() }), 412);
    assert.equal((await os.call('PUT', `${base}/files/cond`, { token, body: 'x', headers: { 'if-none-match': '*' } })).status, 412);
  });

  it('POST replaces metadata and content type; an X-Delete-At in the past is refused', async () => {
    await os.call('PUT', `${base}/files/meta`, { token, body: 'm', headers: { 'x-object-meta-a': '1', 'x-object-meta-b': '2' } });
    assert.equal((await os.call('POST', `${base}/files/meta`, { token, headers: { 'x-object-meta-c': '3', 'content-type': 'text/x-new' } })).status, 202);
    const head = await os.call('HEAD', `${base}/files/meta`, { token });
    assert.equal(head.headers.get('x-object-meta-a'), null);
    assert.equal(head.headers.get('x-object-meta-c'), '3');
    assert.equal(head.headers.get('content-type'), 'text/x-new');
    const list = JSON.parse((await os.call('GET', `${base}/files?format=json&prefix=meta`, { token })).text);
    assert.equal(list[0].content_type, 'text/x-new');

    assert.equal((await os.call('PUT', `${base}/files/past`, { token, body: 'e', headers: { 'x-delete-at': '1000' } })).status, 400);
  });

  it('an object past X-Delete-At answers 404 at once, leaves the listing, and the expirer removes it and its bytes', async () => {
    await os.call('PUT', `${base}/expiry`, { token });
    const at = String(Math.floor(Date.now() / 1000) + 2);
    assert.equal((await os.call('PUT', `${base}/expiry/short-lived`, { token, body: 'e', headers: { 'x-delete-at': at } })).status, 201);
    assert.equal((await os.call('HEAD', `${base}/expiry/short-lived`, { token })).headers.get('x-delete-at'), at);
    assert.equal((await os.call('PUT', `${base}/expiry/renewed`, { token, body: 'r', headers: { 'x-delete-after': '1' } })).status, 201);
    assert.equal((await os.call('POST', `${base}/expiry/renewed`, { token, headers: { 'x-remove-delete-at': '1' } })).status, 202);
    assert.equal((await os.call('GET', `${base}/expiry/short-lived`, { token })).status, 200);
    const tombstones = () => globSync('*/objects/**/*.ts', { cwd: os.service.objectsDir }).length;
    const before = tombstones();
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal((await os.call('GET', `${base}/expiry/short-lived`, { token })).status, 404);
    assert.equal((await os.call('GET', `${base}/expiry`, { token })).text, 'renewed\n');
    for (let i = 0; i < 40 && (await os.call('HEAD', `${base}/expiry`, { token })).headers.get('x-container-object-count') !== '1'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await os.call('HEAD', `${base}/expiry`, { token })).headers.get('x-container-object-count'), '1');
    assert.equal(tombstones() - before, 3, 'each replica got a tombstone');
    assert.equal((await os.call('GET', `${base}/expiry/renewed`, { token })).text, 'r');
  });

  it('copies with X-Copy-From and COPY, keeping metadata unless X-Fresh-Metadata', async () => {
    const data = randomBytes(1000);
    await os.call('PUT', `${base}/files/src`, { token, body: data, headers: { 'x-object-meta-k': 'v', 'content-type': 'image/png' } });
    const put = await os.call('PUT', `${base}/files/copy1`, { token, headers: { 'x-copy-from': '/files/src', 'content-length': '0' } });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('x-copied-from'), 'files/src');
    const c1 = await os.call('GET', `${base}/files/copy1`, { token });
    assert.ok(c1.bytes.equals(data));
    assert.equal(c1.headers.get('x-object-meta-k'), 'v');
    assert.equal(c1.headers.get('content-type'), 'image/png');
    const cp = await os.call('COPY', `${base}/files/src`, { token, headers: { destination: 'files/copy2', 'x-fresh-metadata': 'true', 'x-object-meta-n': 'new' } });
    assert.equal(cp.status, 201);
    const c2 = await os.call('HEAD', `${base}/files/copy2`, { token });
    assert.equal(c2.headers.get('x-object-meta-k'), null);
    assert.equal(c2.headers.get('x-object-meta-n'), 'new');
    assert.equal((await os.call('PUT', `${base}/files/copy3`, { token, headers: { 'x-copy-from': '/files/missing', 'content-length': '0' } })).status, 404);
  });

  it('concurrent PUTs of one name leave one object, and the listing agrees with what GET serves', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(100 + i * 10));
    const puts = await Promise.all(bodies.map((body) => os.call('PUT', `${base}/files/raced`, { token, body })));
    assert.ok(puts.every((p) => p.status === 201));
    const got = await os.call('GET', `${base}/files/raced`, { token });
    assert.ok(bodies.some((b) => b.equals(got.bytes)));
    const listed = JSON.parse((await os.call('GET', `${base}/files?format=json&prefix=raced`, { token })).text);
    assert.deepEqual(listed.map((o: { name: string; hash: string; bytes: number }) => [o.name, o.hash, o.bytes]), [['raced', md5(got.bytes), got.bytes.length]]);
  });

  it('DELETE answers 204 then 404, and the object leaves the listing and the stats', async () => {
    await os.call('PUT', `${base}/files/gone`, { token, body: 'bye' });
    const before = await os.call('HEAD', `${base}/files`, { token });
    assert.equal((await os.call('DELETE', `${base}/files/gone`, { token })).status, 204);
    assert.equal((await os.call('DELETE', `${base}/files/gone`, { token })).status, 404);
    assert.equal((await os.call('GET', `${base}/files/gone`, { token })).status, 404);
    const afterHead = await os.call('HEAD', `${base}/files`, { token });
    assert.equal(Number(afterHead.headers.get('x-container-object-count')), Number(before.headers.get('x-container-object-count')) - 1);
    assert.equal(Number(afterHead.headers.get('x-container-bytes-used')), Number(before.headers.get('x-container-bytes-used')) - 3);
  });
});
