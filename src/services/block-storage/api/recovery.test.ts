// A volume service that dies mid-operation leaves nothing transitional behind: on its restart, volumes it was
// creating go to error with no orphan file, deletes it was doing are finished, extends are retried.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';

let skip: string | false = false;
try { execFileSync('qemu-img', ['--version']); } catch { skip = 'qemu-img is not installed (apt-get install qemu-utils)'; }

describe('block storage: recovery after the volume service stops mid-operation (file driver)', { skip }, () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest({ volume_driver: 'file' }); });
  after(async () => { await c?.close(); });

  const volumesDir = () => join(c.dir, 'volumes');

  it('makes real files: a volume, its snapshot and a volume from it, removed again on delete', async () => {
    const { alice } = c.as;
    const v = await c.createVolume(alice, { size: 1 });
    assert.equal(v.status, 'available');
    assert.ok(existsSync(join(volumesDir(), `volume-${v.id}`)));
    const s = await c.call('POST', c.p(alice, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: v.id } } });
    await c.waitFor(alice, c.p(alice, `/snapshots/${s.body.snapshot.id}`), ['available']);
    const w = await c.createVolume(alice, { size: 2, snapshot_id: s.body.snapshot.id });
    assert.equal(w.status, 'available');
    await c.call('DELETE', c.p(alice, `/volumes/${v.id}?cascade=true`), { token: alice.token });
    await c.call('DELETE', c.p(alice, `/volumes/${w.id}`), { token: alice.token });
    await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['gone']);
    await c.waitFor(alice, c.p(alice, `/volumes/${w.id}`), ['gone']);
    assert.deepEqual(readdirSync(volumesDir()), []);
  });

  it('puts a volume left creating into error and removes its file; finishes a delete; retries an extend', async () => {
    const { alice } = c.as;
    const doomed = await c.createVolume(alice, { size: 1, name: 'to-delete' });
    const grows = await c.createVolume(alice, { size: 1, name: 'to-extend' });
    await c.volume.close(); // the volume service dies; the scheduler still believes in it
    const r = await c.call('POST', c.p(alice, '/volumes'), { token: alice.token, body: { volume: { size: 1, name: 'half-made' } } });
    assert.equal(r.status, 202);
    const id = r.body.volume.id;
    assert.equal(c.volume.driver.name, 'file');
    // The dead process had got as far as the file.
    for (let i = 0; i < 100 && !(await c.call('GET', c.p(c.as.admin, `/volumes/${id}`), { token: c.as.admin.token })).body.volume['os-vol-host-attr:host']; i++) {
      await new Promise((d) => setTimeout(d, 20));
    }
    writeFileSync(join(volumesDir(), `volume-${id}`), 'orphan');
    assert.equal((await c.call('DELETE', c.p(alice, `/volumes/${doomed.id}`), { token: alice.token })).status, 202);
    assert.equal((await c.call('POST', c.p(alice, `/volumes/${grows.id}/action`), { token: alice.token, body: { 'os-extend': { new_size: 2 } } })).status, 202);
    const status = async (vid: string) => (await c.call('GET', c.p(alice, `/volumes/${vid}`), { token: alice.token })).body?.volume?.status;
    assert.equal(await status(id), 'creating');
    assert.equal(await status(doomed.id), 'deleting');
    assert.equal(await status(grows.id), 'extending');

    await c.restartVolumeService();
    assert.equal((await c.waitFor(alice, c.p(alice, `/volumes/${id}`), ['error', 'available'])).volume.status, 'error');
    await c.waitFor(alice, c.p(alice, `/volumes/${doomed.id}`), ['gone']);
    const grown = (await c.waitFor(alice, c.p(alice, `/volumes/${grows.id}`), ['available', 'error_extending'])).volume;
    assert.deepEqual([grown.status, grown.size], ['available', 2]);
    for (let i = 0; i < 100 && existsSync(join(volumesDir(), `volume-${id}`)); i++) await new Promise((d) => setTimeout(d, 20));
    assert.deepEqual(readdirSync(volumesDir()).sort(), [`volume-${grows.id}`]);
    assert.equal((await c.call('DELETE', c.p(alice, `/volumes/${id}`), { token: alice.token })).status, 202, 'the error volume can be deleted');
  });
});
