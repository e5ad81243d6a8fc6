// Backups of snapshots through the API on the file volume driver (raw volumes, qcow2 snapshots, real bytes): the
// backup holds the snapshot's data, not the volume's newer bytes; the snapshot is held backing-up and the volume is
// left alone; an increment of a snapshot builds on the latest backup of older data (Cinder's rule); bad snapshots
// are refused with nothing changed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';
import { contentDigest, writeAt } from './test-volume-bytes.ts';

const MiB = 1024 * 1024;
let skip: string | false = false;
try { execFileSync('qemu-img', ['--version']); } catch { skip = 'qemu-img is not installed (apt-get install qemu-utils)'; }

describe('backups of snapshots', { skip }, () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest({ volume_driver: 'file', volume_format: 'raw', backup_object_size: MiB }); });
  after(async () => { await c?.close(); });
  const volumePath = (id: string) => join(c.dir, 'volumes', `volume-${id}`);
  /** c.waitFor with room for 1 GiB reads on a busy machine. */
  async function settle(path: string, statuses: string[]) {
    for (let i = 0; i < 6; i++) {
      try { return await c.waitFor(c.as.alice, path, statuses); } catch (err) { if (!/never reached/.test((err as Error).message)) throw err; }
    }
    throw new Error(`${path} never reached ${statuses.join('/')}`);
  }

  async function snapshot(volumeId: string) {
    const { alice } = c.as;
    const r = await c.call('POST', c.p(alice, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: volumeId } } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return (await settle(c.p(alice, `/snapshots/${r.body.snapshot.id}`), ['available', 'error'])).snapshot;
  }

  async function backup(body: Record<string, unknown>) {
    const { alice } = c.as;
    const r = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: body } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const b = (await settle(c.p(alice, `/backups/${r.body.backup.id}`), ['available', 'error'])).backup;
    assert.equal(b.status, 'available', b.fail_reason);
    return b;
  }

  async function restoredHash(backupId: string): Promise<string> {
    const { alice } = c.as;
    const r = await c.call('POST', c.p(alice, `/backups/${backupId}/restore`), { token: alice.token, body: { restore: {} } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const v = (await settle(c.p(alice, `/volumes/${r.body.restore.volume_id}`), ['available', 'error'])).volume;
    assert.equal(v.status, 'available');
    await c.waitFor(alice, c.p(alice, `/backups/${backupId}`), ['available']);
    return contentDigest(volumePath(v.id));
  }

  it('backs a snapshot up with its own bytes, and increments a later snapshot on the backup of older data', async () => {
    const { alice } = c.as;
    const v = await c.createVolume(alice, { size: 1 });
    const path = volumePath(v.id);
    await writeAt(path, randomBytes(2 * MiB + 7), 0);
    const atS1 = await contentDigest(path);
    const s1 = await snapshot(v.id);
    await writeAt(path, randomBytes(MiB), 10 * MiB);
    const atFull = await contentDigest(path);

    const r = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: { volume_id: v.id, snapshot_id: s1.id } } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const during = (await c.call('GET', c.p(alice, `/snapshots/${s1.id}`), { token: alice.token })).body.snapshot.status;
    assert.ok(['backing-up', 'available'].includes(during), during);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'available', 'the volume is not held');
    const ofS1 = (await settle(c.p(alice, `/backups/${r.body.backup.id}`), ['available', 'error'])).backup;
    assert.deepEqual([ofS1.status, ofS1.snapshot_id, ofS1.volume_id, ofS1.is_incremental], ['available', s1.id, v.id, false]);
    assert.equal(ofS1.data_timestamp, s1.created_at, 'the data is as old as the snapshot');
    assert.equal((await c.call('GET', c.p(alice, `/snapshots/${s1.id}`), { token: alice.token })).body.snapshot.status, 'available');
    assert.equal(await restoredHash(ofS1.id), atS1, 'the snapshot\'s bytes, not the volume\'s newer ones');

    const full = await backup({ volume_id: v.id });
    assert.equal(full.snapshot_id, null);
    await writeAt(path, randomBytes(40_000), 20 * MiB);
    const atS2 = await contentDigest(path);
    const s2 = await snapshot(v.id);
    await writeAt(path, randomBytes(40_000), 30 * MiB);
    const inc = await backup({ volume_id: v.id, snapshot_id: s2.id, incremental: true });
    assert.deepEqual([inc.is_incremental, inc.object_count], [true, 3], 'only the extent changed since the full backup is stored');
    assert.equal(await restoredHash(inc.id), atS2);
    assert.equal(await restoredHash(full.id), atFull);

    // An increment of the older snapshot cannot build on the full backup (its data is newer): it builds on s1's backup.
    const incS1 = await backup({ volume_id: v.id, snapshot_id: s1.id, incremental: true });
    assert.deepEqual([incS1.is_incremental, incS1.object_count], [true, 2], 'nothing changed since the backup of s1');
    assert.equal(await restoredHash(incS1.id), atS1);
    const parentOf = (await c.call('GET', c.p(alice, `/backups/${ofS1.id}`), { token: alice.token })).body.backup;
    assert.equal(parentOf.has_dependent_backups, true);
  });

  it('refuses a snapshot of another volume, one not available and one unknown, with nothing changed', async () => {
    const { alice, admin } = c.as;
    const v = await c.createVolume(alice, { size: 1 });
    const other = await c.createVolume(alice, { size: 1 });
    const s = await snapshot(other.id);
    const refuse = async (snapshotId: string, status: number, message: RegExp) => {
      const r = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: { volume_id: v.id, snapshot_id: snapshotId } } });
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(JSON.stringify(r.body), message);
    };
    await refuse(s.id, 400, /is not a snapshot of volume/);
    await refuse('9a1b2c3d-0000-4000-8000-000000000001', 404, /Snapshot 9a1b2c3d-0000-4000-8000-000000000001 could not be found/);
    const own = await snapshot(v.id);
    const reset = await c.call('POST', c.p(admin, `/snapshots/${own.id}/action`), { token: admin.token, body: { 'os-reset_status': { status: 'error' } } });
    assert.equal(reset.status, 202);
    await refuse(own.id, 400, /Snapshot to be backed up must be available/);
    assert.deepEqual((await c.call('GET', `${c.p(alice, '/backups')}?volume_id=${v.id}`, { token: alice.token })).body.backups, []);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'available');
    assert.equal((await c.call('GET', c.p(alice, `/snapshots/${s.id}`), { token: alice.token })).body.snapshot.status, 'available');
  });
});
