// Backups through the API (fake driver, file backup store): create, list, restore into an existing volume and into a
// new one, delete, quota, and refusals (incremental without a full backup, a volume that is not available) with
// nothing changed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';

describe('block storage API: backups', () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest(); });
  after(async () => { await c?.close(); });
  const fake = () => c.volume.driver as unknown as { volumes: Map<string, number>; data: Map<string, Map<number, Buffer>> };

  it('backs a volume up, restores it in place and into a new volume, and deletes the backup', async () => {
    const { alice, bob } = c.as;
    const v = await c.createVolume(alice, { size: 2, name: 'precious' });
    const r = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: { volume_id: v.id, name: 'b1' } } });
    assert.equal(r.status, 202);
    const id = r.body.backup.id;
    const b = (await c.waitFor(alice, c.p(alice, `/backups/${id}`), ['available', 'error'])).backup;
    assert.deepEqual([b.status, b.size, b.volume_id, b.is_incremental, b.container, b.has_dependent_backups], ['available', 2, v.id, false, 'volumebackups', false]);
    assert.equal(b.object_count, 2, 'a blank volume backs up as its sha file and metadata only');
    const backupDir = join(c.dir, 'backups', 'volumebackups', `volume_${v.id}`);
    assert.deepEqual(readdirSync(backupDir).sort(), [`backup_${id}_metadata`, `backup_${id}_sha256file`]);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'available');
    assert.deepEqual((await c.call('GET', c.p(alice, '/backups'), { token: alice.token })).body.backups.map((x: { id: string }) => x.id), [id]);
    assert.equal((await c.call('GET', c.p(bob, `/backups/${id}`), { token: bob.token })).status, 404);

    const inPlace = await c.call('POST', c.p(alice, `/backups/${id}/restore`), { token: alice.token, body: { restore: { volume_id: v.id } } });
    assert.equal(inPlace.status, 202);
    assert.equal(inPlace.body.restore.volume_id, v.id);
    await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['available', 'error_restoring']);
    assert.equal((await c.waitFor(alice, c.p(alice, `/backups/${id}`), ['available'])).backup.status, 'available');

    const fresh = await c.call('POST', c.p(alice, `/backups/${id}/restore`), { token: alice.token, body: { restore: { name: 'restored' } } });
    assert.equal(fresh.status, 202);
    const nv = (await c.waitFor(alice, c.p(alice, `/volumes/${fresh.body.restore.volume_id}`), ['available', 'error'])).volume;
    assert.deepEqual([nv.status, nv.size, nv.name], ['available', 2, 'restored']);
    assert.equal(fake().volumes.get(nv.id), 2);
    assert.equal((await c.waitFor(alice, c.p(alice, `/backups/${id}`), ['available'])).backup.status, 'available');

    assert.equal((await c.call('DELETE', c.p(alice, `/backups/${id}`), { token: alice.token })).status, 202);
    await c.waitFor(alice, c.p(alice, `/backups/${id}`), ['gone']);
    assert.equal(existsSync(backupDir) ? readdirSync(backupDir).length : 0, 0, 'the backup\'s objects are gone');
  });

  it('refuses incremental backups, backups of volumes in error, too-small restore targets and over-quota backups', async () => {
    const { alice, admin } = c.as;
    const v = await c.createVolume(alice, { size: 2 });
    const inc = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: { volume_id: v.id, incremental: true } } });
    assert.equal(inc.status, 400);
    const small = await c.createVolume(alice, { size: 1 });
    const b = (await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: { volume_id: v.id } } })).body.backup;
    await c.waitFor(alice, c.p(alice, `/backups/${b.id}`), ['available']);
    const tooSmall = await c.call('POST', c.p(alice, `/backups/${b.id}/restore`), { token: alice.token, body: { restore: { volume_id: small.id } } });
    assert.equal(tooSmall.status, 400);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${small.id}`), { token: alice.token })).body.volume.status, 'available');
    await c.call('PUT', c.p(admin, `/os-quota-sets/${alice.projectId}`), { token: admin.token, body: { quota_set: { backups: 1 } } });
    const over = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: { volume_id: small.id } } });
    assert.equal(over.status, 413);
    assert.equal(over.body.overLimit.message, 'Maximum number of backups allowed (1) exceeded');
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${small.id}`), { token: alice.token })).body.volume.status, 'available');
    await c.call('POST', c.p(admin, `/volumes/${small.id}/action`), { token: admin.token, body: { 'os-reset_status': { status: 'error' } } });
    const inError = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: { volume_id: small.id } } });
    assert.equal(inError.status, 400);
    const limits = await c.call('GET', c.p(alice, '/limits'), { token: alice.token });
    assert.deepEqual([limits.body.limits.absolute.totalBackupsUsed, limits.body.limits.absolute.totalBackupGigabytesUsed], [1, 2]);
  });
});
