// Incremental backup chains through the API on the file volume driver (raw volumes, real bytes), for both backup
// drivers: file containers and Object Storage (in process). A full backup, then two increments each after more
// changes; each restores to a new volume with exactly the bytes the volume had; a backup with increments cannot be
// deleted before them; an incremental without a full backup is refused; and a backup of the old layout still restores.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase } from '#lib/db/index.ts';
import { silentLogger } from '#lib/log.ts';
import type { BlockStorageTables } from '../db/tables.ts';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';
import { contentDigest, writeAt } from './test-volume-bytes.ts';

const MiB = 1024 * 1024;
let skip: string | false = false;
try { execFileSync('qemu-img', ['--version']); } catch { skip = 'qemu-img is not installed (apt-get install qemu-utils)'; }

for (const driver of ['file', 'object-store'] as const) {
  describe(`backup chains with backup_driver ${driver}`, { skip }, () => {
    let c: TestBlockStorage;
    before(async () => {
      c = await startBlockStorageForTest({ volume_driver: 'file', volume_format: 'raw', backup_driver: driver, backup_object_size: MiB }, { withObjectStorage: driver === 'object-store' });
    });
    after(async () => { await c?.close(); });
    const volumePath = (id: string) => join(c.dir, 'volumes', `volume-${id}`);

    async function backup(body: Record<string, unknown>, version = '3.43') {
      const { alice } = c.as;
      const r = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, version, body: { backup: body } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const waited = (await c.waitFor(alice, c.p(alice, `/backups/${r.body.backup.id}`), ['available', 'error'])).backup;
      assert.equal(waited.status, 'available', waited.fail_reason);
      return (await c.call('GET', c.p(alice, `/backups/${waited.id}`), { token: alice.token, version })).body.backup;
    }

    async function restoredHash(backupId: string): Promise<string> {
      const { alice } = c.as;
      const r = await c.call('POST', c.p(alice, `/backups/${backupId}/restore`), { token: alice.token, body: { restore: { name: `from-${backupId}` } } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const v = (await c.waitFor(alice, c.p(alice, `/volumes/${r.body.restore.volume_id}`), ['available', 'error'])).volume;
      assert.equal(v.status, 'available');
      await c.waitFor(alice, c.p(alice, `/backups/${backupId}`), ['available']);
      return contentDigest(volumePath(v.id));
    }

    /** Names of the objects the store holds for `volumeId`. */
    async function storedObjects(volumeId: string, container = 'volumebackups'): Promise<string[]> {
      if (driver === 'file') {
        const { readdirSync, existsSync } = await import('node:fs');
        const dir = join(c.dir, 'backups', container, `volume_${volumeId}`);
        return existsSync(dir) ? readdirSync(dir) : [];
      }
      const res = await fetch(`${c.swiftUrl}/v1/AUTH_${c.as.alice.projectId}/${container}?format=json&prefix=volume_${volumeId}/`, { headers: { 'x-auth-token': c.as.alice.token } });
      return res.status === 200 ? ((await res.json()) as { name: string }[]).map((o) => o.name) : [];
    }

    it('restores a full backup and two increments to exactly the bytes of their time, and deletes them newest first', async () => {
      const { alice } = c.as;
      const v = await c.createVolume(alice, { size: 1, name: 'chained' });
      const path = volumePath(v.id);

      const refused = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: { volume_id: v.id, incremental: true } } });
      assert.equal(refused.status, 400);
      assert.match(refused.body.badRequest.message, /No backups available to do an incremental backup/);
      assert.deepEqual(await storedObjects(v.id), [], 'nothing stored for the refused backup');

      await writeAt(path, randomBytes(3 * MiB + 100), 0);
      await writeAt(path, randomBytes(50_000), 300 * MiB);
      const expected0 = await contentDigest(path);
      const full = await backup({ volume_id: v.id, name: 'full', metadata: { tier: 'gold' } });
      assert.deepEqual([full.is_incremental, full.container, full.metadata], [false, 'volumebackups', { tier: 'gold' }]);
      assert.ok(full.object_count >= 6, `the full backup holds 4+1 data objects, the sha file and metadata: ${full.object_count}`);

      await writeAt(path, randomBytes(40_000), 5 * MiB);
      const expected1 = await contentDigest(path);
      const inc1 = await backup({ volume_id: v.id, incremental: true });
      assert.deepEqual([inc1.is_incremental, inc1.object_count], [true, 3], 'only the one changed extent is stored');

      await writeAt(path, Buffer.alloc(2 * MiB), MiB);
      await writeAt(path, randomBytes(70_000), 700 * MiB);
      const expected2 = await contentDigest(path);
      const inc2 = await backup({ volume_id: v.id, incremental: true, container: 'volumebackups' });
      assert.equal(inc2.is_incremental, true);

      const shown = async (id: string) => (await c.call('GET', c.p(alice, `/backups/${id}`), { token: alice.token })).body.backup;
      assert.deepEqual([(await shown(full.id)).has_dependent_backups, (await shown(inc1.id)).has_dependent_backups, (await shown(inc2.id)).has_dependent_backups], [true, true, false]);
      const listed = (await c.call('GET', c.p(alice, '/backups/detail'), { token: alice.token })).body.backups;
      assert.deepEqual(listed.filter((b: { volume_id: string }) => b.volume_id === v.id).map((b: { has_dependent_backups: boolean }) => b.has_dependent_backups).sort(), [false, true, true]);

      assert.equal(await restoredHash(full.id), expected0);
      assert.equal(await restoredHash(inc1.id), expected1);
      assert.equal(await restoredHash(inc2.id), expected2);

      // In place: the chain's data replaces what the volume holds now.
      await writeAt(path, randomBytes(10_000), 0);
      const inPlace = await c.call('POST', c.p(alice, `/backups/${inc1.id}/restore`), { token: alice.token, body: { restore: { volume_id: v.id } } });
      assert.equal(inPlace.status, 202);
      assert.equal((await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['available', 'error_restoring'])).volume.status, 'available');
      assert.equal(await contentDigest(path), expected1);
      await c.waitFor(alice, c.p(alice, `/backups/${inc1.id}`), ['available']);

      for (const parent of [full, inc1]) {
        const r = await c.call('DELETE', c.p(alice, `/backups/${parent.id}`), { token: alice.token });
        assert.equal(r.status, 400);
        assert.match(r.body.badRequest.message, /Incremental backups exist for this backup/);
        assert.equal((await shown(parent.id)).status, 'available', 'nothing changed');
      }
      for (const b of [inc2, inc1, full]) {
        assert.equal((await c.call('DELETE', c.p(alice, `/backups/${b.id}`), { token: alice.token })).status, 202);
        await c.waitFor(alice, c.p(alice, `/backups/${b.id}`), ['gone']);
      }
      assert.deepEqual(await storedObjects(v.id), [], 'every object of the chain is gone');
    });

    it('refuses bad containers and metadata before 3.43, with nothing recorded', async () => {
      const { alice } = c.as;
      const v = await c.createVolume(alice, { size: 1 });
      for (const [body, version] of [[{ container: '../x' }, '3.43'], [{ container: '..' }, '3.43'], [{ metadata: { a: 'b' } }, '3.42']] as const) {
        const r = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, version, body: { backup: { volume_id: v.id, ...body } } });
        assert.equal(r.status, 400, JSON.stringify(body));
      }
      assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'available');
      const listed = (await c.call('GET', `${c.p(alice, '/backups')}?volume_id=${v.id}`, { token: alice.token })).body.backups;
      assert.deepEqual(listed, []);
    });

    if (driver === 'file') {
      it('a backup of the old layout (one compressed qcow2) still restores after the upgrade, and is deleted', async () => {
        const { alice } = c.as;
        const v = await c.createVolume(alice, { size: 1 });
        await writeAt(volumePath(v.id), randomBytes(200_000), 4096);
        const expected = await contentDigest(volumePath(v.id));
        const id = '4f0c2a64-5c3e-4b8e-9d61-0a1b2c3d4e5f';
        const location = join(c.dir, 'backups', `backup-${id}`);
        execFileSync('qemu-img', ['convert', '-q', '-c', '-f', 'raw', '-O', 'qcow2', volumePath(v.id), location]);
        const database = await openDatabase<BlockStorageTables>({ url: `sqlite://${c.dir}/block_storage.sqlite`, log: silentLogger() });
        const now = new Date().toISOString();
        await database.db.insertInto('backups').values({
          id, project_id: alice.projectId!, user_id: alice.userId, volume_id: v.id, host: c.volume.host, availability_zone: 'nova', name: 'old', description: null,
          size: 1, status: 'available', fail_reason: null, location, container: null, parent_id: null, object_count: 0, data_timestamp: null, snapshot_id: null, metadata: null,
          created_at: now, updated_at: now,
        }).execute();
        await database.close();
        assert.equal(await restoredHash(id), expected);
        // An increment needs a chunked parent: the old-layout backup is not one.
        const inc = await c.call('POST', c.p(alice, '/backups'), { token: alice.token, body: { backup: { volume_id: v.id, incremental: true } } });
        assert.equal(inc.status, 400);
        assert.equal((await c.call('DELETE', c.p(alice, `/backups/${id}`), { token: alice.token })).status, 202);
        await c.waitFor(alice, c.p(alice, `/backups/${id}`), ['gone']);
        const { existsSync } = await import('node:fs');
        assert.equal(existsSync(location), false);
      });
    }
  });
}
