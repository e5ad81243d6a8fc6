// Compute's integer-id tables (aggregates, migrations) on every database the cloud supports: the ids autoincrement
// per dialect, names stay unique under racing creates, and a host's zone comes from its aggregate.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { dropDatabase, isUniqueViolation, openDatabase, runMigrations } from '#lib/db/index.ts';
import type { Database } from '#lib/db/index.ts';
import { skipUnlessReachable, testServerUrls } from '#lib/test-servers.ts';
import { computeMigrations } from './migrations/index.ts';
import type { ComputeTables } from './tables.ts';
import { addAggregateHost, deleteEmptyAggregate, getAggregate, hostZones, insertAggregate } from './aggregates-repo.ts';
import { insertMigration, latestMigration, updateMigration } from './migrations-repo.ts';
import type { FlavorSnapshot } from '../domain/instance.ts';

const dir = mkdtempSync(join(tmpdir(), 'compute-db-'));
const targets: [string, string, string | undefined][] = [['SQLite', `sqlite://${dir}/compute.sqlite`, undefined]];
for (const [name, url] of [['PostgreSQL', testServerUrls.postgres], ['MariaDB', testServerUrls.mysql]] as const) {
  const skip = await skipUnlessReachable(name, async () => (await openDatabase({ url })).close());
  targets.push([name, url.replace(/\/[^/]*$/, `/stratus_computetest_${randomBytes(4).toString('hex')}`), skip]);
}

const flavor = (id: string): FlavorSnapshot => ({ id, name: `f${id}`, ram: 512, vcpus: 1, disk: 1, ephemeral: 0, swap: 0, rxtxFactor: 1, isPublic: true,
  disabled: false, description: null, extraSpecs: {} } as unknown as FlavorSnapshot);

for (const [name, url, skip] of targets) {
  describe(`compute aggregates and migrations on ${name}`, { skip }, () => {
    let database: Database<ComputeTables>;
    before(async () => {
      database = await openDatabase<ComputeTables>({ url });
      await runMigrations(database, computeMigrations);
    });
    after(async () => {
      await database?.close();
      if (name === 'SQLite') rmSync(dir, { recursive: true, force: true });
      else await dropDatabase(url);
    });

    it('numbers aggregates in order, keeps names unique under a race, and zones their hosts', async () => {
      const db = database.db;
      const first = await insertAggregate(db, 'agg-1', 'az1');
      const second = await insertAggregate(db, 'agg-2', null);
      assert.ok(Number.isInteger(first) && second > first);
      const raced = await Promise.allSettled([1, 2, 3].map(() => insertAggregate(db, 'same', null)));
      assert.equal(raced.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(raced.every((r) => r.status === 'fulfilled' || isUniqueViolation(r.reason)));
      await addAggregateHost(db, first, 'h1');
      await addAggregateHost(db, second, 'h1');
      await assert.rejects(addAggregateHost(db, first, 'h1'), (err) => isUniqueViolation(err));
      assert.deepEqual([...await hostZones(db)], [['h1', 'az1']]);
      assert.equal(await deleteEmptyAggregate(db, first), false);
      assert.deepEqual((await getAggregate(db, first))?.hosts, ['h1']);
    });

    it('numbers migrations and moves their status only from the expected one', async () => {
      const db = database.db;
      const m = await insertMigration(db, {
        instanceUuid: 'i-1', projectId: 'p', userId: 'u', migrationType: 'resize', status: 'pre-migrating', sourceCompute: 'h1', sourceNode: 'h1',
        oldFlavor: flavor('1'), newFlavor: flavor('2'),
      });
      assert.ok(Number.isInteger(m.id));
      assert.equal((await updateMigration(db, m.uuid, { status: 'finished', destCompute: 'h2' }))?.destCompute, 'h2');
      assert.equal(await updateMigration(db, m.uuid, { status: 'confirming' }, ['migrating']), undefined);
      assert.equal((await updateMigration(db, m.uuid, { status: 'confirming' }, ['finished']))?.status, 'confirming');
      assert.equal((await latestMigration(db, 'i-1', ['confirming']))?.newFlavor.id, '2');
    });
  });
}
