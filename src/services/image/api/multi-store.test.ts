// An image in several stores (the file store and a real Object Storage in process): what clients discover, reads that
// fall back to the next copy, removing one copy but never the last, and glance-direct imports into several stores
// with and without all_stores_must_succeed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startImage } from './test-image.ts';
import type { TestImage } from './test-image.ts';

/** Object Storage's object size limit here, so an image too large for that store is cheap to make. */
const SWIFT_MAX = 1_000_000;

let t: TestImage;
before(async () => {
  t = await startImage({ stores: 'file,object-store', default_store: 'file' }, { objectStorage: { max_file_size: SWIFT_MAX } });
});
after(async () => { await t?.close(); });

const show = async (id: string) => (await t.call('GET', `/v2/images/${id}`, { token: t.as.admin.token })).body;
const download = (id: string, headers?: Record<string, string>) => t.call('GET', `/v2/images/${id}/file`, { token: t.as.alice.token, headers });
const removeCopy = (store: string, id: string, token = t.as.admin.token) => t.call('DELETE', `/v2/stores/${store}/${id}`, { token });

async function inObjectStorage(name: string): Promise<boolean> {
  const res = await fetch(`${t.objectStorage!.account}/glance/${name}`, { method: 'HEAD', headers: { 'x-auth-token': await t.objectStorage!.glanceToken() } });
  return res.status === 200;
}

/** A staged image of alice's. */
async function staged(data: Buffer): Promise<string> {
  const img = await t.create(t.as.alice, { name: 'staged', disk_format: 'raw', container_format: 'bare' });
  assert.equal((await t.call('PUT', `/v2/images/${img.id}/stage`, { token: t.as.alice.token, raw: data })).status, 204);
  return img.id;
}
const importAs = (id: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  t.call('POST', `/v2/images/${id}/import`, { token: t.as.alice.token, body: { method: { name: 'glance-direct' }, ...body }, headers });

/** An image with a copy in each store, by a glance-direct import into both. */
async function inBothStores(data: Buffer): Promise<string> {
  const id = await staged(data);
  assert.equal((await importAs(id, { all_stores: true })).status, 202);
  assert.equal((await show(id)).stores, 'file,object-store');
  return id;
}

describe('images in several stores', { concurrency: false }, () => {
  it('clients discover copy-image, API versions up to 2.10, and (admins) each store\'s type and settings', async () => {
    assert.deepEqual((await t.call('GET', '/v2/info/import', { token: t.as.alice.token })).body['import-methods'].value, ['glance-direct', 'copy-image']);
    const created = await t.call('POST', '/v2/images', { token: t.as.alice.token, body: { name: 'header' } });
    assert.equal(created.headers.get('openstack-image-import-methods'), 'glance-direct,copy-image');
    const versions = (await t.call('GET', '/versions')).body.versions;
    assert.deepEqual(versions.slice(0, 4).map((v: { id: string; status: string }) => [v.id, v.status]), [['v2.10', 'CURRENT'], ['v2.9', 'SUPPORTED'], ['v2.8', 'SUPPORTED'], ['v2.7', 'SUPPORTED']]);
    const detail = await t.call('GET', '/v2/info/stores/detail', { token: t.as.admin.token });
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.stores.map((s: Record<string, unknown>) => [s.id, s.default ?? false, s.type, s.properties]), [
      ['file', true, 'file', { data_dir: t.storeDir, chunk_size: 65536, thin_provisioning: false }],
      ['object-store', false, 'swift', { container: 'glance' }],
    ]);
    assert.equal((await t.call('GET', '/v2/info/stores/detail', { token: t.as.alice.token })).status, 403);
  });

  it('a glance-direct import into several stores puts a verified copy in each; reads fall back when a store fails', async () => {
    const data = randomBytes(200_000);
    const id = await inBothStores(data);
    assert.ok(existsSync(join(t.storeDir, id)) && await inObjectStorage(id));
    const image = await show(id);
    assert.deepEqual([image.status, image.os_glance_importing_to_stores, image.os_glance_failed_import, image.os_glance_import_task], ['active', '', '', undefined]);
    // The file store's copy disappears behind the service's back: the Object Storage copy serves, whole and by Range.
    rmSync(join(t.storeDir, id));
    const whole = await download(id);
    assert.equal(whole.status, 200);
    assert.ok(whole.bytes.equals(data));
    const part = await download(id, { range: 'bytes=100-199' });
    assert.equal(part.status, 206);
    assert.ok(part.bytes.equals(data.subarray(100, 200)));
  });

  it('DELETE /v2/stores/{store}/{image} removes one copy for an admin, never the last; Glance\'s answers otherwise', async () => {
    const data = randomBytes(40_000);
    const id = await inBothStores(data);
    const denied = await removeCopy('file', id, t.as.alice.token);
    assert.equal(denied.status, 403);
    assert.match(denied.body.message, /delete_image_location/);
    const unknownStore = await removeCopy('tape', id);
    assert.equal(unknownStore.status, 409);
    assert.match(unknownStore.body.message, /The selected store tape is not available/);
    assert.equal((await removeCopy('file', '0b1c2d3e-0000-4000-8000-000000000000')).status, 404);

    assert.equal((await removeCopy('file', id)).status, 204);
    assert.equal((await show(id)).stores, 'object-store');
    assert.ok(!existsSync(join(t.storeDir, id)), 'the file store\'s data is deleted');
    assert.ok((await download(id)).bytes.equals(data), 'the other copy still serves');
    const absent = await removeCopy('file', id);
    assert.equal(absent.status, 404);
    assert.match(absent.body.message, /is not stored in store file/);
    const last = await removeCopy('object-store', id);
    assert.equal(last.status, 403);
    assert.match(last.body.message, /Cannot delete image data from the only store containing it/);
    assert.ok(await inObjectStorage(id));

    const queued = await t.create(t.as.alice, { name: 'no-data' });
    const notActive = await removeCopy('file', queued.id);
    assert.equal(notActive.status, 409);
    assert.match(notActive.body.message, /image status is not 'active'/);
  });

  it('one store failing fails the whole import by default: its copies removed, the image staged again, the store listed', async () => {
    const data = randomBytes(SWIFT_MAX + 1);
    const id = await staged(data);
    const failed = await importAs(id, { stores: ['file', 'object-store'] });
    assert.equal(failed.status, 413);
    assert.match(failed.body.message, /too large for store object-store/);
    const image = await show(id);
    assert.deepEqual([image.status, image.stores, image.os_glance_importing_to_stores, image.os_glance_failed_import, image.os_glance_import_task],
      ['uploading', undefined, '', 'object-store', undefined]);
    assert.ok(!existsSync(join(t.storeDir, id)), 'the copy made in the file store is removed');

    // Allowed to fail, the import keeps the stores that succeeded.
    const partial = await importAs(id, { stores: ['object-store', 'file'], all_stores_must_succeed: false });
    assert.equal(partial.status, 202, JSON.stringify(partial.body));
    const active = await show(id);
    assert.deepEqual([active.status, active.stores, active.os_glance_importing_to_stores, active.os_glance_failed_import], ['active', 'file', '', 'object-store']);
    assert.equal(active.size, data.length);
    assert.ok((await download(id)).bytes.equals(data));
  });

  it('X-Image-Meta-Store names the store of an import; staged data gone fails it whatever all_stores_must_succeed says', async () => {
    const data = randomBytes(30_000);
    const id = await staged(data);
    assert.equal((await importAs(id, {}, { 'x-image-meta-store': 'object-store' })).status, 202);
    assert.equal((await show(id)).stores, 'object-store');
    assert.ok(!existsSync(join(t.storeDir, id)));

    const lost = await staged(data);
    rmSync(join(t.storeDir, '..', 'image-staging', lost));
    const refused = await importAs(lost, { all_stores: true, all_stores_must_succeed: false });
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /staged data of image .* is missing/);
    const image = await show(lost);
    assert.deepEqual([image.status, image.os_glance_importing_to_stores, image.os_glance_failed_import, image.os_glance_import_task], ['uploading', '', 'file', undefined]);
  });
});
