// Unfinished work of a volume service that stopped reporting goes to an error status instead of spinning forever.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '#lib/db/index.ts';
import type { Database } from '#lib/db/index.ts';
import { silentLogger } from '#lib/log.ts';
import type { BlockStorageTables } from '../db/tables.ts';
import { startBlockStorageForTest } from '../api/test-block-storage.ts';
import type { TestBlockStorage } from '../api/test-block-storage.ts';
import { failWorkOfDeadHosts } from './dead-hosts.ts';

describe('conductor: work of dead volume services', () => {
  let c: TestBlockStorage;
  let database: Database<BlockStorageTables>;
  before(async () => {
    c = await startBlockStorageForTest();
    database = await openDatabase<BlockStorageTables>({ url: `sqlite://${c.dir}/block_storage.sqlite` });
  });
  after(async () => { await database?.close(); await c?.close(); });

  it('fails creating and extending volumes of a host without heartbeat, and leaves live hosts alone', async () => {
    const { alice, admin } = c.as;
    const a = await c.createVolume(alice, { size: 1 });
    const b = await c.createVolume(alice, { size: 1 });
    const past = new Date(Date.now() - 3_600_000).toISOString();
    await database.db.updateTable('volumes').set({ status: 'creating', updated_at: past }).where('id', '=', a.id).execute();
    await database.db.updateTable('volumes').set({ status: 'extending', updated_at: past }).where('id', '=', b.id).execute();
    const log = silentLogger();
    assert.equal(await failWorkOfDeadHosts(database.db, { downAfterMs: 60_000, log }), 0, 'the host reports: nothing moves');
    await c.volume.close();
    await database.db.updateTable('services').set({ updated_at: past }).where('binary', '=', 'cinder-volume').execute();
    assert.equal(await failWorkOfDeadHosts(database.db, { downAfterMs: 60_000, log }), 2);
    const status = async (id: string) => (await c.call('GET', c.p(admin, `/volumes/${id}`), { token: admin.token })).body.volume.status;
    assert.deepEqual([await status(a.id), await status(b.id)], ['error', 'error_extending']);
  });
});
