// The object-store store through the image API, against a real Object Storage in process: data lands in the glance
// account's container, streams back with Range, goes with the image, and a failure of Object Storage mid-upload
// leaves the image queued with nothing stored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startImage } from '../../api/test-image.ts';
import type { TestImage, TestObjectStorage } from '../../api/test-image.ts';

/** Object Storage's object size limit in this test, so the 413 for larger images is cheap to reach. */
const SWIFT_MAX = 1_000_000;

let t: TestImage;
let swift: TestObjectStorage;
before(async () => {
  t = await startImage({ stores: 'file,object-store', default_store: 'object-store' }, { objectStorage: { max_file_size: SWIFT_MAX } });
  swift = t.objectStorage!;
});
after(async () => { await t?.close(); });

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** GETs an object of the glance account with the glance service user's token, as the store itself does. */
async function glanceObject(name: string, container = 'glance'): Promise<{ status: number; bytes: Buffer; etag: string | null }> {
  const res = await fetch(`${swift.account}/${container}/${name}`, { headers: { 'x-auth-token': await swift.glanceToken() } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), etag: res.headers.get('etag') };
}

const rawImage = (who: TestImage['as']['alice'], name: string) => t.create(who, { name, disk_format: 'raw', container_format: 'bare' });

describe('object-store store', () => {
  it('/v2/info/stores lists both configured stores, object-store as the default', async () => {
    const r = await t.call('GET', '/v2/info/stores', { token: t.as.alice.token });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.stores.map((s: { id: string; default?: boolean }) => [s.id, s.default ?? false]), [['object-store', true], ['file', false]]);
  });

  it('an upload is stored as object <image id> in the glance container, downloads whole and by Range, and goes with the image', async () => {
    const data = randomBytes(300_000);
    const img = await rawImage(t.as.alice, 'in-swift');
    assert.equal((await t.upload(t.as.alice, img.id, data)).status, 204);
    const shown = (await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body;
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, data.length);
    assert.equal(shown.checksum, md5(data));
    assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'));
    assert.equal(shown.stores, 'object-store', 'with several stores, an image says which holds its data');

    const stored = await glanceObject(img.id);
    assert.equal(stored.status, 200);
    assert.ok(stored.bytes.equals(data), 'Object Storage holds the exact bytes');
    assert.equal(stored.etag, md5(data));
    assert.deepEqual(t.storeFiles(), [], 'nothing in the file store');

    const got = await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-md5'), md5(data));
    assert.equal(got.headers.get('content-length'), String(data.length));
    assert.ok(got.bytes.equals(data));
    const part = await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token, headers: { range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${data.length}`);
    assert.ok(part.bytes.equals(data.subarray(1000, 2000)));
    const tail = await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token, headers: { range: 'bytes=-10' } });
    assert.ok(tail.bytes.equals(data.subarray(data.length - 10)));

    assert.equal((await t.call('DELETE', `/v2/images/${img.id}`, { token: t.as.alice.token })).status, 204);
    assert.equal((await glanceObject(img.id)).status, 404, 'the object is deleted with the image');
  });

  it('a glance-direct import moves the staged data into Object Storage, or into each store it names', async () => {
    const data = randomBytes(50_000);
    const img = await rawImage(t.as.alice, 'imported');
    assert.equal((await t.call('PUT', `/v2/images/${img.id}/stage`, { token: t.as.alice.token, raw: data })).status, 204);
    assert.equal((await glanceObject(img.id)).status, 404, 'staged data is not in the image store');
    const imported = await t.call('POST', `/v2/images/${img.id}/import`, { token: t.as.alice.token, body: { method: { name: 'glance-direct' } } });
    assert.equal(imported.status, 202);
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body.status, 'active');
    assert.ok((await glanceObject(img.id)).bytes.equals(data));

    // An import may name its stores: an unknown one is a 409 (as the Image API reference says) and changes nothing;
    // several each get a copy.
    const other = await rawImage(t.as.alice, 'imported-to-both');
    assert.equal((await t.call('PUT', `/v2/images/${other.id}/stage`, { token: t.as.alice.token, raw: data })).status, 204);
    const importTo = (body: Record<string, unknown>) => t.call('POST', `/v2/images/${other.id}/import`, { token: t.as.alice.token, body: { method: { name: 'glance-direct' }, ...body } });
    const unknown = await importTo({ stores: ['tape'] });
    assert.equal(unknown.status, 409);
    assert.match(unknown.body.message, /Store for identifier tape not found/);
    assert.equal((await t.call('GET', `/v2/images/${other.id}`, { token: t.as.alice.token })).body.status, 'uploading', 'still staged');
    assert.equal((await importTo({ stores: ['file', 'object-store'] })).status, 202);
    const shown = (await t.call('GET', `/v2/images/${other.id}`, { token: t.as.alice.token })).body;
    assert.equal(shown.stores, 'file,object-store');
    assert.equal(shown.os_glance_importing_to_stores, '');
    assert.deepEqual(t.storeFiles(), [other.id]);
    assert.ok((await glanceObject(other.id)).bytes.equals(data));
    assert.equal((await t.call('DELETE', `/v2/images/${other.id}`, { token: t.as.alice.token })).status, 204);
    assert.deepEqual(t.storeFiles(), [], 'both copies go with the image');
    assert.equal((await glanceObject(other.id)).status, 404);
  });

  it('X-Image-Meta-Store puts the data in the named store; an unknown store is a 400 and nothing changes', async () => {
    const data = randomBytes(20_000);
    const img = await rawImage(t.as.alice, 'to-file');
    const unknown = await t.call('PUT', `/v2/images/${img.id}/file`, { token: t.as.alice.token, raw: data, headers: { 'x-image-meta-store': 'tape' } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /Store for identifier tape not found: this cloud's stores are object-store, file/);
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body.status, 'queued');
    const put = await t.call('PUT', `/v2/images/${img.id}/file`, { token: t.as.alice.token, raw: data, headers: { 'x-image-meta-store': 'file' } });
    assert.equal(put.status, 204);
    assert.deepEqual(t.storeFiles(), [img.id], 'the data is in the file store');
    assert.equal((await glanceObject(img.id)).status, 404, 'and not in Object Storage');
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body.stores, 'file');
    assert.ok((await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token })).bytes.equals(data));
    assert.equal((await t.call('DELETE', `/v2/images/${img.id}`, { token: t.as.alice.token })).status, 204);
    assert.deepEqual(t.storeFiles(), []);
  });

  it('images above Object Storage\'s object size limit are refused with 413, declared or not, and nothing is stored', async () => {
    const img = await rawImage(t.as.bob, 'too-big');
    const declared = await t.upload(t.as.bob, img.id, randomBytes(SWIFT_MAX + 1));
    assert.equal(declared.status, 413);
    assert.match(declared.body.message, new RegExp(`too large for store object-store: it holds images of at most ${SWIFT_MAX} bytes`));
    // Without a Content-Length the limit is found while streaming.
    const chunks = [randomBytes(600_000), randomBytes(600_000)];
    const body = new ReadableStream<Uint8Array>({ start(c) { for (const chunk of chunks) c.enqueue(chunk); c.close(); } });
    const streamed = await fetch(`${t.url}/v2/images/${img.id}/file`, {
      method: 'PUT', headers: { 'x-auth-token': t.as.bob.token, 'content-type': 'application/octet-stream' }, body, duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.bob.token })).body.status, 'queued');
    assert.equal((await glanceObject(img.id)).status, 404);
  });

  it('Object Storage failing mid-upload leaves the image queued with nothing stored, and a new upload then succeeds', async () => {
    const img = await rawImage(t.as.alice, 'cut-off');
    let release!: () => void;
    const released = new Promise<void>((done) => { release = done; });
    const body = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(randomBytes(200_000));
        await released;
        c.enqueue(randomBytes(200_000));
        c.close();
      },
    });
    const upload = fetch(`${t.url}/v2/images/${img.id}/file`, {
      method: 'PUT', headers: { 'x-auth-token': t.as.alice.token, 'content-type': 'application/octet-stream', accept: 'application/json' }, body, duplex: 'half',
    } as RequestInit);
    for (let i = 0; i < 200 && (await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body.status !== 'saving'; i++) await new Promise((r) => setTimeout(r, 10));
    // Object Storage drops every connection, the upload's PUT among them.
    swift.service.app.server.closeAllConnections();
    release();
    const failed = await upload;
    assert.equal(failed.status, 503);
    assert.match(((await failed.json()) as { message: string }).message, /Object Storage could not store glance\//);
    const shown = (await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body;
    assert.equal(shown.status, 'queued');
    assert.equal(shown.checksum, null);
    assert.equal((await glanceObject(img.id)).status, 404, 'no object left behind');

    const data = randomBytes(100_000);
    assert.equal((await t.upload(t.as.alice, img.id, data)).status, 204);
    assert.ok((await glanceObject(img.id)).bytes.equals(data));
  });
  // Last: Object Storage stays down afterwards.
  it('with Object Storage down, an upload is a 503 saying so and the image stays queued', async () => {
    const img = await rawImage(t.as.bob, 'no-swift');
    await swift.stop();
    const r = await t.upload(t.as.bob, img.id, randomBytes(10_000));
    assert.equal(r.status, 503);
    assert.match(r.body.message, /^Object Storage could not/);
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.bob.token })).body.status, 'queued');
    const usage = (await t.call('GET', '/v2/info/usage', { token: t.as.bob.token })).body.usage;
    assert.equal(usage.image_count_uploading.usage, 0, 'no upload left counted as in flight');
  });
});
