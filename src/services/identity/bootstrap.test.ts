// The bootstrap is safe to run on every start, and a first start cut short before its secrets were stored does not
// leave the cloud unusable: service users whose passwords the data directory lacks get new ones.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, runMigrations } from '#lib/db/index.ts';
import { bootstrapIdentity } from './bootstrap.ts';
import type { IdentityTables } from './db/tables.ts';
import { identityMigrations } from './db/migrations/001-initial.ts';
import { verifySecret } from './domain/password-hash.ts';

describe('identity bootstrap', () => {
  it('creates service users once, and re-keys only those whose passwords were lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bootstrap-'));
    const database = await openDatabase<IdentityTables>({ url: `sqlite://${dir}/identity.sqlite` });
    try {
      await runMigrations(database, identityMigrations);
      const spec = { region: 'RegionOne', serviceUsers: ['nova', 'glance'], catalog: [] };
      const cost = { log2N: 10, r: 8, p: 1 };
      const first = await bootstrapIdentity(database.db, spec, cost);
      assert.deepEqual(Object.keys(first.servicePasswords).sort(), ['glance', 'nova']);
      assert.ok(first.adminPassword);
      // A second start holding both passwords changes nothing.
      const second = await bootstrapIdentity(database.db, { ...spec, knownServicePasswords: ['nova', 'glance'] }, cost);
      assert.deepEqual(second.servicePasswords, {});
      assert.equal(second.adminPassword, undefined);
      // The glance password was lost: glance gets a new one that works; nova keeps its own.
      const third = await bootstrapIdentity(database.db, { ...spec, knownServicePasswords: ['nova'] }, cost);
      assert.deepEqual(Object.keys(third.servicePasswords), ['glance']);
      const hash = async (name: string) => (await database.db.selectFrom('users').select('password_hash').where('name', '=', name).executeTakeFirstOrThrow()).password_hash;
      assert.ok(await verifySecret(third.servicePasswords.glance, await hash('glance')));
      assert.ok(await verifySecret(first.servicePasswords.nova, await hash('nova')));
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
