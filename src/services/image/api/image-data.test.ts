// Image data: streaming upload with checksums and inspection, download with Range and Content-MD5, and quotas
// that count uploads in flight.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startImage } from './test-image.ts';
import type { TestImage } from './test-image.ts';
import { ploopImage, qcow2Header, vhdxImage } from '../domain/test-disk-images.ts';

let t: TestImage;
before(async () => { t = await startImage({ image_count_total: 12, image_size_total: 2_000_000 }); });
after(async () => { await t?.close(); });

const hash = (algo: string, data: Buffer) => createHash(algo).update(data).digest('hex');

/** A request body that sends `first`, then waits for `release()` before sending `rest`. */
function heldBody(first: Buffer, rest: Buffer): { body: ReadableStream<Uint8Array>; release(): void } {
  let release!: () => void;
  const released = new Promise<void>((done) => { release = done; });
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(first);
      await released;
      controller.enqueue(rest);
      controller.close();
    },
  });
  return { body, release };
}

describe('image data', () => {
  it('an upload makes the image active with size, MD5, SHA-512 and virtual size, and downloads byte for byte', async () => {
    const data = randomBytes(300_000);
    const img = await t.create(t.as.alice, { name: 'raw-data', disk_format: 'raw', container_format: 'bare' });
    const empty = await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token });
    assert.equal(empty.status, 204, 'no data yet');
    assert.equal((await t.upload(t.as.alice, img.id, data)).status, 204);
    const shown = (await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body;
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, data.length);
    assert.equal(shown.virtual_size, data.length);
    assert.equal(shown.checksum, hash('md5', data));
    assert.equal(shown.os_hash_algo, 'sha512');
    assert.equal(shown.os_hash_value, hash('sha512', data));
    assert.deepEqual(t.storeFiles(), [img.id], 'one file named after the image, nothing partial');
    assert.equal('stores' in shown, false, 'no stores field with a single store, as Glance');

    const got = await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-md5'), shown.checksum);
    assert.equal(got.headers.get('content-length'), String(data.length));
    assert.equal(got.headers.get('content-type'), 'application/octet-stream');
    assert.ok(got.bytes.equals(data));
  });

  it('Range downloads answer 206 with Content-Range; a range past the end is 416', async () => {
    const data = randomBytes(1000);
    const img = await t.create(t.as.alice, { name: 'ranged', disk_format: 'raw', container_format: 'bare' });
    await t.upload(t.as.alice, img.id, data);
    const cases: [string, number, number][] = [['bytes=0-9', 0, 9], ['bytes=990-', 990, 999], ['bytes=-5', 995, 999], ['bytes=100-5000', 100, 999]];
    for (const [range, start, end] of cases) {
      const r = await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token, headers: { range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/1000`);
      assert.ok(r.bytes.equals(data.subarray(start, end + 1)), range);
    }
    const beyond = await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token, headers: { range: 'bytes=1000-' } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.body.code, '416 Request Range Not Satisfiable');
  });

  it('a qcow2 upload takes its virtual size from the header, and members may download shared data', async () => {
    const data = Buffer.concat([qcow2Header({ size: 3n << 30n }), randomBytes(8192)]);
    const img = await t.create(t.as.alice, { name: 'q', disk_format: 'qcow2', container_format: 'bare' });
    assert.equal((await t.upload(t.as.alice, img.id, data)).status, 204);
    const shown = (await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body;
    assert.equal(shown.virtual_size, 3 * 2 ** 30);
    assert.equal((await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.bob.token })).status, 404);
    await t.call('POST', `/v2/images/${img.id}/members`, { token: t.as.alice.token, body: { member: t.as.bob.projectId } });
    const got = await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.bob.token });
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(data));
  });

  it('VHDX and ploop uploads take their virtual size from their metadata; a VHDX whose metadata lies past its data is refused', async () => {
    // Each image is deleted once looked at: the suite's byte quota is small.
    const upload = async (diskFormat: string, data: Buffer) => {
      const img = await t.create(t.as.alice, { name: diskFormat, disk_format: diskFormat, container_format: 'bare' });
      const r = await t.upload(t.as.alice, img.id, data);
      const shown = (await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body;
      assert.equal((await t.call('DELETE', `/v2/images/${img.id}`, { token: t.as.alice.token })).status, 204);
      return { r, shown };
    };
    const vhdx = await upload('vhdx', vhdxImage({ size: 7n << 30n }));
    assert.equal(vhdx.r.status, 204);
    assert.deepEqual([vhdx.shown.status, vhdx.shown.virtual_size], ['active', 7 * 2 ** 30]);
    const ploop = await upload('ploop', ploopImage({ sectors: 4194304n }));
    assert.equal(ploop.r.status, 204);
    assert.equal(ploop.shown.virtual_size, 2 * 2 ** 30);
    const cut = await upload('vhdx', vhdxImage({ truncateAt: (1 << 20) + 4096 }));
    assert.equal(cut.r.status, 400);
    assert.match(cut.r.body.message, /VHDX metadata lies beyond the data/);
    assert.equal(cut.shown.status, 'queued');
  });

  it('the byte quota counts uploads in flight: a second upload is refused while the first streams, which then completes', async () => {
    const usage = (await t.call('GET', '/v2/info/usage', { token: t.as.bob.token })).body.usage;
    const room = 2_000_000 - usage.image_size_total.usage;
    const [a, b] = [await t.create(t.as.bob, { name: 'a', disk_format: 'raw', container_format: 'bare' }), await t.create(t.as.bob, { name: 'b', disk_format: 'raw', container_format: 'bare' })];
    const held = heldBody(randomBytes(room - 1000), randomBytes(500));
    const first = fetch(`${t.url}/v2/images/${a.id}/file`, {
      method: 'PUT', headers: { 'x-auth-token': t.as.bob.token, 'content-type': 'application/octet-stream' }, body: held.body, duplex: 'half',
    } as RequestInit);
    // Wait until the held upload is visibly streaming.
    for (let i = 0; i < 200 && (await t.call('GET', `/v2/images/${a.id}`, { token: t.as.bob.token })).body.status !== 'saving'; i++) await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 200 && (await t.call('GET', '/v2/info/usage', { token: t.as.bob.token })).body.usage.image_size_total.usage < usage.image_size_total.usage + room - 1000; i++) await new Promise((r) => setTimeout(r, 10));
    const second = await t.upload(t.as.bob, b.id, randomBytes(2000));
    assert.equal(second.status, 413);
    assert.match(second.body.message, new RegExp(`Image storage quota exceeded: project ${t.as.bob.projectId} may store at most 2000000 bytes`));
    assert.equal((await t.call('GET', `/v2/images/${b.id}`, { token: t.as.bob.token })).body.status, 'queued');
    held.release();
    assert.equal((await first).status, 204);
    assert.equal((await t.call('GET', `/v2/images/${a.id}`, { token: t.as.bob.token })).body.status, 'active');
    assert.ok(!t.storeFiles().some((f) => f.startsWith('.partial/')), 'no partial data left');
  });

  it('the image count quota refuses the create past the limit with 413', async () => {
    const owned = (await t.call('GET', '/v2/info/usage', { token: t.as.admin.token })).body.usage.image_count_total.usage;
    for (let i = owned; i < 12; i++) await t.create(t.as.admin, { name: `count-${i}` });
    const r = await t.call('POST', '/v2/images', { token: t.as.admin.token, body: { name: 'one-too-many' } });
    assert.equal(r.status, 413);
    assert.equal(r.body.code, '413 Request Entity Too Large');
    assert.equal(r.body.message, `Image quota exceeded: project ${t.as.admin.projectId} may own at most 12 images and owns 12.`);
  });
});
