// Interoperable import with glance-direct: stage, then import; the inspector and checksums hold on the way, and
// refused or missing data leaves nothing behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startImage } from './test-image.ts';
import type { TestImage } from './test-image.ts';
import { qcow2Header } from '../domain/test-disk-images.ts';

let t: TestImage;
before(async () => { t = await startImage(); });
after(async () => { await t?.close(); });

const hash = (algo: string, data: Buffer) => createHash(algo).update(data).digest('hex');
const stagingFiles = (): string[] => {
  const dir = join(t.storeDir, '..', 'image-staging');
  return [...readdirSync(dir).filter((f) => f !== '.partial'), ...readdirSync(join(dir, '.partial')).map((f) => `.partial/${f}`)].sort();
};
const stage = (id: string, data: Buffer) => t.call('PUT', `/v2/images/${id}/stage`, { token: t.as.alice.token, raw: data });
const importAs = (id: string, name: string) => t.call('POST', `/v2/images/${id}/import`, { token: t.as.alice.token, body: { method: { name } } });
const show = async (id: string) => (await t.call('GET', `/v2/images/${id}`, { token: t.as.alice.token })).body;

describe('glance-direct import', { concurrency: false }, () => {
  it('stage makes the image uploading; import makes it active with checksums, and the staged data is gone', async () => {
    const data = randomBytes(200_000);
    const img = await t.create(t.as.alice, { name: 'imported', disk_format: 'raw', container_format: 'bare' });
    assert.deepEqual((await t.call('GET', '/v2/info/import', { token: t.as.alice.token })).body['import-methods'].value, ['glance-direct'], 'one store: nothing to copy into');
    assert.equal((await stage(img.id, data)).status, 204);
    const staged = await show(img.id);
    assert.equal(staged.status, 'uploading');
    assert.equal(staged.size, null, 'staged data is not the image data yet');
    assert.equal((await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token })).status, 204, 'staged data is never served');
    assert.deepEqual(stagingFiles(), [img.id]);
    assert.equal((await stage(img.id, data)).status, 409, 'a second stage is refused');

    const imported = await importAs(img.id, 'glance-direct');
    assert.equal(imported.status, 202, JSON.stringify(imported.body));
    const active = await show(img.id);
    assert.equal(active.status, 'active');
    assert.equal(active.size, data.length);
    assert.equal(active.virtual_size, data.length);
    assert.equal(active.checksum, hash('md5', data));
    assert.equal(active.os_hash_algo, 'sha512');
    assert.equal(active.os_hash_value, hash('sha512', data));
    assert.equal(active.os_glance_importing_to_stores, '');
    assert.equal(active.os_glance_failed_import, '');
    assert.equal(active.os_glance_import_task, undefined);
    assert.deepEqual(stagingFiles(), [], 'the staged copy is removed');
    assert.ok(t.storeFiles().includes(img.id));
    const got = await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token });
    assert.ok(got.bytes.equals(data));
    assert.equal((await importAs(img.id, 'glance-direct')).status, 409, 'an active image cannot be imported again');
  });

  it('import without staged data is 409 and leaves the image queued', async () => {
    const img = await t.create(t.as.alice, { name: 'not-staged', disk_format: 'raw', container_format: 'bare' });
    const r = await importAs(img.id, 'glance-direct');
    assert.equal(r.status, 409);
    assert.match(r.body.message, /staged/);
    assert.equal((await show(img.id)).status, 'queued');
  });

  it('an unknown method is 400; web-download and copy-image are refused with the reason', async () => {
    const img = await t.create(t.as.alice, { name: 'methods', disk_format: 'raw', container_format: 'bare' });
    const unknown = await importAs(img.id, 'carrier-pigeon');
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /Unknown import method name 'carrier-pigeon'/);
    const web = await t.call('POST', `/v2/images/${img.id}/import`, { token: t.as.alice.token, body: { method: { name: 'web-download', uri: 'http://example.com/x.img' } } });
    assert.equal(web.status, 400);
    assert.match(web.body.message, /no outbound network/);
    const copy = await importAs(img.id, 'copy-image');
    assert.equal(copy.status, 400);
    assert.match(copy.body.message, /single store/);
    assert.equal((await t.call('POST', `/v2/images/${img.id}/import`, { token: t.as.alice.token, body: {} })).status, 400);
    assert.equal((await show(img.id)).status, 'queued');
  });

  it('a staged qcow2 with a backing file is refused, nothing is kept, and the image is queued again', async () => {
    const img = await t.create(t.as.alice, { name: 'backing', disk_format: 'qcow2', container_format: 'bare' });
    const data = Buffer.concat([qcow2Header({ backing: '/etc/passwd' }), randomBytes(4096)]);
    const r = await stage(img.id, data);
    assert.equal(r.status, 400);
    assert.match(r.body.message, /backing/i);
    assert.equal((await show(img.id)).status, 'queued');
    assert.deepEqual(stagingFiles(), []);
    assert.ok(!t.storeFiles().includes(img.id));
    assert.equal((await importAs(img.id, 'glance-direct')).status, 409);
  });

  it('deleting a staged image removes its staged data', async () => {
    const img = await t.create(t.as.alice, { name: 'staged-then-deleted', disk_format: 'raw', container_format: 'bare' });
    assert.equal((await stage(img.id, randomBytes(1000))).status, 204);
    assert.deepEqual(stagingFiles(), [img.id]);
    assert.equal((await t.call('DELETE', `/v2/images/${img.id}`, { token: t.as.alice.token })).status, 204);
    assert.deepEqual(stagingFiles(), []);
  });
});
