// Volumes made from images and uploaded to images: read from (written to) the Image service with the user's token,
// checked, converted by the file driver, bootable and carrying volume_image_metadata; images the user cannot see are refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { Persona, TestBlockStorage } from './test-block-storage.ts';

let skip: string | false = false;
try { execFileSync('qemu-img', ['--version']); } catch { skip = 'qemu-img is not installed (apt-get install qemu-utils)'; }

describe('block storage: volumes from images (file driver)', { skip }, () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest({ volume_driver: 'file' }, { withImage: true }); });
  after(async () => { await c?.close(); });

  async function upload(who: Persona, data: Buffer, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await fetch(`${c.imageUrl}/v2/images`, {
      method: 'POST', headers: { 'x-auth-token': who.token, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'img', disk_format: 'raw', container_format: 'bare', ...extra }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = await res.json() as { id: string };
    const put = await fetch(`${c.imageUrl}/v2/images/${id}/file`, { method: 'PUT', headers: { 'x-auth-token': who.token, 'content-type': 'application/octet-stream' }, body: data });
    assert.equal(put.status, 204, await put.text());
    return id;
  }

  it('makes a bootable volume holding the image\'s data', async () => {
    const { alice } = c.as;
    const data = Buffer.alloc(2 * 1024 * 1024, 0);
    data.fill(0x5a, 0, 65536);
    const imageId = await upload(alice, data);
    const v = await c.createVolume(alice, { size: 1, imageRef: imageId, name: 'from-image' });
    assert.equal(v.status, 'available');
    assert.equal(v.bootable, 'true');
    assert.equal(v.volume_image_metadata.image_id, imageId);
    assert.equal(v.volume_image_metadata.disk_format, 'raw');
    const path = join(c.dir, 'volumes', `volume-${v.id}`);
    assert.match(execFileSync('qemu-io', ['-f', 'qcow2', '-r', '-c', 'read -P 0x5a 0 64k', path], { encoding: 'utf8' }), /read 65536/);
    assert.equal(JSON.parse(execFileSync('qemu-img', ['info', '-f', 'qcow2', '--output=json', path], { encoding: 'utf8' }))['virtual-size'], 1024 ** 3);
  });

  it('uploads a volume to a new qcow2 image holding its data, and puts the volume back to available', async () => {
    const { alice } = c.as;
    const data = Buffer.alloc(1024 * 1024, 0);
    data.fill(0x33, 0, 65536);
    const v = await c.createVolume(alice, { size: 1, imageRef: await upload(alice, data) });
    const r = await c.call('POST', c.p(alice, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-volume_upload_image': { image_name: 'from-volume', disk_format: 'qcow2', force: false } } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const imageId = r.body['os-volume_upload_image'].image_id;
    assert.equal(r.body['os-volume_upload_image'].status, 'uploading');
    await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['available']);
    let image: { status: string; disk_format: string } = { status: '', disk_format: '' };
    for (let i = 0; i < 100 && image.status !== 'active'; i++) {
      image = await (await fetch(`${c.imageUrl}/v2/images/${imageId}`, { headers: { 'x-auth-token': alice.token } })).json() as typeof image;
      if (image.status !== 'active') await new Promise((d) => setTimeout(d, 25));
    }
    assert.deepEqual([image.status, image.disk_format], ['active', 'qcow2']);
    const copy = await c.createVolume(alice, { size: 1, imageRef: imageId });
    assert.equal(copy.status, 'available');
    assert.match(execFileSync('qemu-io', ['-f', 'qcow2', '-r', '-c', 'read -P 0x33 0 64k', join(c.dir, 'volumes', `volume-${copy.id}`)], { encoding: 'utf8' }), /read 65536/);
  });

  it('refuses images the user cannot see and volumes smaller than the image, creating nothing', async () => {
    const { alice, bob } = c.as;
    const bobs = await upload(bob, Buffer.alloc(1024, 1), { visibility: 'private' });
    const before = (await c.call('GET', c.p(alice, '/volumes'), { token: alice.token })).body.volumes.length;
    const hidden = await c.call('POST', c.p(alice, '/volumes'), { token: alice.token, body: { volume: { size: 1, imageRef: bobs } } });
    assert.equal(hidden.status, 400);
    assert.equal(hidden.body.badRequest.message, 'Invalid image identifier or unable to access requested image.');
    const big = await upload(alice, Buffer.alloc(1024, 2), { min_disk: 3 });
    const small = await c.call('POST', c.p(alice, '/volumes'), { token: alice.token, body: { volume: { size: 2, imageRef: big } } });
    assert.equal(small.status, 400);
    assert.match(small.body.badRequest.message, /larger than volume size/);
    assert.equal((await c.call('GET', c.p(alice, '/volumes'), { token: alice.token })).body.volumes.length, before);
  });
});
