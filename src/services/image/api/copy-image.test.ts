// copy-image against a cloud with two stores (the file store and a real Object Storage in process): the copy runs after
// the 202 with the image active, its progress and lock on the image, verified against the image's checksums; failures
// are listed and undone; bad requests change nothing. A copy is held mid-way by turning the file store's copy into a
// FIFO, which the copy reads only once the test writes the data into it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, linkSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startImage } from './test-image.ts';
import type { Persona, TestImage } from './test-image.ts';

/** Object Storage's object size limit here, so a copy too large for it is cheap to make. */
const SWIFT_MAX = 1_000_000;

let t: TestImage;
before(async () => {
  t = await startImage({ stores: 'file,object-store', default_store: 'file' }, { objectStorage: { max_file_size: SWIFT_MAX } });
});
const fifos: string[] = [];
/** Gives a reader waiting on the FIFO end-of-file, so no copy stays blocked. */
const endOfFile = (fifo: string) => {
  try { closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader waiting */ }
};
after(async () => {
  fifos.forEach(endOfFile);
  await t?.close();
});

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const show = async (id: string) => (await t.call('GET', `/v2/images/${id}`, { token: t.as.admin.token })).body;
const copy = (id: string, body: Record<string, unknown>, who: Persona = t.as.admin, headers?: Record<string, string>) =>
  t.call('POST', `/v2/images/${id}/import`, { token: who.token, body: { method: { name: 'copy-image' }, ...body }, headers });

async function glanceObject(name: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${t.objectStorage!.account}/glance/${name}`, { headers: { 'x-auth-token': await t.objectStorage!.glanceToken() } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** An active image of alice's, its data in the file store (the default). */
async function activeImage(data: Buffer): Promise<string> {
  const img = await t.create(t.as.alice, { name: 'copied', disk_format: 'raw', container_format: 'bare' });
  assert.equal((await t.upload(t.as.alice, img.id, data)).status, 204);
  return img.id;
}

/** Waits until the image's import has ended (no store importing, the lock released) and returns the image. */
async function settled(id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 500; i++) {
    const image = await show(id);
    if (image.os_glance_importing_to_stores === '' && image.os_glance_import_task === undefined) return image;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the import of ${id} did not end`);
}

/**
 * Turns the file store's copy into a FIFO (a link to one outside the store, which stays reachable when the store
 * removes its name): a copy reading it waits until release() writes `data` (and puts the real file back) or end().
 */
function holdFileCopy(id: string, data: Buffer): { release(): Promise<void>; end(): void } {
  const path = join(t.storeDir, id);
  const fifo = join(t.storeDir, '..', `fifo-${id}`);
  execFileSync('mkfifo', ['-m', '600', fifo]);
  fifos.push(fifo);
  rmSync(path);
  linkSync(fifo, path);
  return {
    async release() {
      await writeFile(fifo, data);
      rmSync(path);
      writeFileSync(path, data);
    },
    end: () => endOfFile(fifo),
  };
}

describe('copy-image', { concurrency: false }, () => {
  it('copies an active image into another store after the 202, verified, while the image stays active and locked', async () => {
    const data = randomBytes(300_000);
    const id = await activeImage(data);
    assert.equal((await show(id)).stores, 'file');
    const hold = holdFileCopy(id, data);
    const started = await copy(id, { stores: ['object-store'] });
    assert.equal(started.status, 202, JSON.stringify(started.body));

    const during = await show(id);
    assert.equal(during.status, 'active');
    assert.equal(during.os_glance_importing_to_stores, 'object-store');
    assert.match(during.os_glance_import_task, /^[0-9a-f-]{36}$/);
    assert.equal(during.stores, 'file', 'the copy is not a location until it is complete');
    const second = await copy(id, { stores: ['object-store'] });
    assert.equal(second.status, 409);
    assert.match(second.body.message, /prior operation is still in progress/);
    // An update meanwhile leaves the import's bookkeeping alone.
    const patched = await t.call('PATCH', `/v2/images/${id}`, {
      token: t.as.alice.token, raw: JSON.stringify([{ op: 'add', path: '/os_distro', value: 'debian' }]), contentType: 'application/openstack-images-v2.1-json-patch',
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.os_glance_import_task, during.os_glance_import_task);

    await hold.release();
    const done = await settled(id);
    assert.equal(done.status, 'active');
    assert.equal(done.stores, 'file,object-store');
    assert.equal(done.os_glance_failed_import, '');
    assert.equal(done.checksum, md5(data));
    assert.equal(done.os_distro, 'debian');
    assert.ok((await glanceObject(id)).bytes.equals(data), 'Object Storage holds the exact bytes');
    const again = await copy(id, { stores: ['object-store'] });
    assert.equal(again.status, 400);
    assert.match(again.body.message, /Image is already present at store 'object-store'/);
  });

  it('is refused without changing anything: by policy, for an image without data, an unknown store, malformed bodies', async () => {
    const id = await activeImage(randomBytes(10_000));
    const before = await show(id);
    const denied = await copy(id, { stores: ['object-store'] }, t.as.alice);
    assert.equal(denied.status, 403, 'copy_image is for admins, as in Glance');
    assert.match(denied.body.message, /copy_image/);
    const queued = await t.create(t.as.alice, { name: 'no-data', disk_format: 'raw', container_format: 'bare' });
    const noData = await copy(queued.id, { stores: ['object-store'] });
    assert.equal(noData.status, 409);
    assert.match(noData.body.message, /Only images with status active can be targeted for copying/);
    const unknown = await copy(id, { stores: ['tape'] });
    assert.equal(unknown.status, 409);
    assert.match(unknown.body.message, /Store for identifier tape not found/);
    assert.match((await copy(id, { stores: ['file'] })).body.message, /already present at store 'file'/);
    for (const [body, why, headers] of [
      [{ all_stores: true, stores: ['object-store'] }, /All_stores parameter can't be used/],
      [{ stores: ['object-store'] }, /Stores parameter and x-image-meta-store header can't be both specified/, { 'x-image-meta-store': 'object-store' }],
      [{ stores: ['object-store'], all_stores_must_succeed: 'yes' }, /'all_stores_must_succeed' must be boolean/],
      [{ all_stores: 1 }, /'all_stores' must be boolean/],
      [{ stores: [] }, /non-empty list/],
      [{ stores: 'object-store' }, /non-empty list/],
    ] as [Record<string, unknown>, RegExp, Record<string, string>?][]) {
      const r = await copy(id, body, t.as.admin, headers);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.message, why);
    }
    const noMethod = await t.call('POST', `/v2/images/${id}/import`, { token: t.as.admin.token, body: { method: {} } });
    assert.equal(noMethod.status, 400);
    const afterAll = await show(id);
    assert.deepEqual([afterAll.stores, afterAll.os_glance_importing_to_stores, afterAll.os_glance_import_task], [before.stores, undefined, undefined]);
  });

  it('all_stores copies into the stores without a copy, and does nothing when every store has one', async () => {
    const data = randomBytes(20_000);
    const id = await activeImage(data);
    assert.equal((await copy(id, { all_stores: true })).status, 202);
    const done = await settled(id);
    assert.equal(done.stores, 'file,object-store');
    assert.equal((await copy(id, { all_stores: true })).status, 202);
    const untouched = await show(id);
    assert.equal(untouched.os_glance_import_task, undefined, 'no import was started');
    assert.equal(untouched.stores, 'file,object-store');
  });

  it('a copy whose bytes are not the image\'s fails and is listed; a later copy succeeds and clears the failure', async () => {
    const data = randomBytes(50_000);
    const id = await activeImage(data);
    // The file store's copy rots behind the service's back: same size, other bytes.
    writeFileSync(join(t.storeDir, id), randomBytes(data.length));
    assert.equal((await copy(id, { stores: ['object-store'] })).status, 202);
    const failed = await settled(id);
    assert.equal(failed.os_glance_failed_import, 'object-store');
    assert.equal(failed.stores, 'file', 'no copy recorded');
    assert.equal(failed.status, 'active');
    assert.equal((await glanceObject(id)).status, 404, 'the unverified copy is removed');

    writeFileSync(join(t.storeDir, id), data);
    assert.equal((await copy(id, { stores: ['object-store'] })).status, 202);
    const copied = await settled(id);
    assert.equal(copied.os_glance_failed_import, '');
    assert.equal(copied.stores, 'file,object-store');
  });

  it('an image larger than the target store holds fails with all_stores_must_succeed false too, nothing stored', async () => {
    const id = await activeImage(randomBytes(SWIFT_MAX + 1));
    assert.equal((await copy(id, { stores: ['object-store'], all_stores_must_succeed: false })).status, 202);
    const failed = await settled(id);
    assert.equal(failed.os_glance_failed_import, 'object-store');
    assert.equal(failed.stores, 'file');
    assert.equal((await glanceObject(id)).status, 404);
  });

  it('deleting an image removes every copy, and cancels a copy still running', async () => {
    const data = randomBytes(30_000);
    const both = await activeImage(data);
    assert.equal((await copy(both, { stores: ['object-store'] })).status, 202);
    assert.equal((await settled(both)).stores, 'file,object-store');
    assert.equal((await t.call('DELETE', `/v2/images/${both}`, { token: t.as.alice.token })).status, 204);
    assert.ok(!existsSync(join(t.storeDir, both)));
    assert.equal((await glanceObject(both)).status, 404);

    const running = await activeImage(data);
    const hold = holdFileCopy(running, data);
    assert.equal((await copy(running, { stores: ['object-store'] })).status, 202);
    assert.equal((await show(running)).os_glance_importing_to_stores, 'object-store');
    assert.equal((await t.call('DELETE', `/v2/images/${running}`, { token: t.as.alice.token })).status, 204);
    assert.equal((await t.call('GET', `/v2/images/${running}`, { token: t.as.admin.token })).status, 404);
    assert.ok(!existsSync(join(t.storeDir, running)), 'the file store\'s copy is removed');
    // The cancelled copy was waiting for its source; once that ends, nothing is left of it in Object Storage.
    hold.end();
    for (let i = 0; i < 5; i++) {
      assert.equal((await glanceObject(running)).status, 404, 'nothing was stored in Object Storage');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
