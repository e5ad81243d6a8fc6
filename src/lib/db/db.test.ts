// One behaviour suite for the database kit, run against SQLite always and PostgreSQL/MariaDB when reachable.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import type { Generated, Kysely } from 'kysely';
import { Client } from 'pg';
import { createConnection } from 'mysql2/promise';
import { skipUnlessReachable, testServerUrls } from '../test-servers.ts';
import {
  databaseUrlFor, dropDatabase, isForeignKeyViolation, isUniqueViolation, openDatabase, parseDatabaseUrl, runMigrations,
} from './index.ts';
import type { Database, Migration } from './index.ts';
import { numberIfExact } from './connect.ts';
import { mysqlConnectionOptions } from './server-admin.ts';

interface Tables {
  projects: { id: string; name: string; enabled: boolean; quota: number | null; extra: string | null; created_at: string };
  members: { id: string; project_id: string; user_id: string };
  counters: { id: string; value: number };
  stratus_migrations: { name: string; applied_at: string };
}

const migrations: Migration[] = [
  {
    name: '0001_projects',
    up: (db) => db.schema.createTable('projects')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('quota', 'integer')
      .addColumn('extra', 'text')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute(),
  },
  {
    name: '0002_members',
    up: (db) => db.schema.createTable('members')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
      .addForeignKeyConstraint('members_project_id_fk', ['project_id'], 'projects', ['id'])
      .execute(),
  },
  {
    name: '0003_counters',
    up: async (db) => {
      await db.schema.createTable('counters')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'integer', (c) => c.notNull())
        .execute();
      await db.insertInto('counters').values({ id: 'hits', value: 0 }).execute();
    },
  },
];

const runId = randomBytes(4).toString('hex');
const tmp = mkdtempSync(join(tmpdir(), 'stratus-db-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function serverUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.href;
}

const pgSkip = await skipUnlessReachable('PostgreSQL', async () => {
  const client = new Client({ connectionString: testServerUrls.postgres, connectionTimeoutMillis: 3000 });
  await client.connect();
  await client.end();
});
const mysqlSkip = await skipUnlessReachable('MariaDB', async () => {
  const conn = await createConnection({ ...mysqlConnectionOptions(new URL(testServerUrls.mysql)), connectTimeout: 3000 });
  await conn.end();
});

const backends = [
  { label: 'sqlite', skip: undefined, url: (name: string) => `sqlite://${join(tmp, 'nested', 'dir', `${name}.sqlite`)}` },
  { label: 'postgres', skip: pgSkip, url: (name: string) => serverUrl(testServerUrls.postgres, name) },
  { label: 'mysql', skip: mysqlSkip, url: (name: string) => serverUrl(testServerUrls.mysql, name) },
];

for (const backend of backends) {
  describe(`database kit on ${backend.label}`, { skip: backend.skip }, () => {
    const url = backend.url(`stratus_test_${runId}`);
    const concurrentUrl = backend.url(`stratus_test_${runId}_concurrent`);
    let database: Database<Tables>;
    let db: Kysely<Tables>;

    before(async () => {
      database = await openDatabase<Tables>({ url });
      db = database.db;
    });
    after(async () => {
      await database?.close();
      await dropDatabase(url);
      await dropDatabase(concurrentUrl);
    });

    it('opens the database it was asked for, creating it', () => {
      assert.equal(database.dialect, backend.label);
    });

    it('applies migrations once, and a second run applies nothing', async () => {
      assert.deepEqual(await runMigrations(database, migrations), ['0001_projects', '0002_members', '0003_counters']);
      assert.deepEqual(await runMigrations(database, migrations), []);
      const rows = await db.selectFrom('stratus_migrations').selectAll().orderBy('name').execute();
      assert.deepEqual(rows.map((r) => r.name), ['0001_projects', '0002_members', '0003_counters']);
      assert.match(rows[0].applied_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('applies a migration added later without re-running the old ones', async () => {
      const extra: Migration = { name: '0004_index', up: (d) => d.schema.createIndex('members_user_id_idx').on('members').column('user_id').execute() };
      assert.deepEqual(await runMigrations(database, [...migrations, extra]), ['0004_index']);
    });

    it('two concurrent runs on one new database both succeed and apply each migration once', async () => {
      let applications = 0;
      const counted = migrations.map((m) => ({ ...m, up: async (d: Kysely<unknown>, dialect: typeof database.dialect) => {
        applications += 1;
        await m.up(d, dialect);
      } }));
      // SQLite shares one connection per process; the servers get two pools, like two processes.
      const [a, b] = backend.label === 'sqlite'
        ? await openDatabase({ url: concurrentUrl }).then((d) => [d, d])
        : await Promise.all([openDatabase({ url: concurrentUrl }), openDatabase({ url: concurrentUrl })]);
      try {
        const [ranA, ranB] = await Promise.all([runMigrations(a, counted), runMigrations(b, counted)]);
        assert.deepEqual([...ranA, ...ranB].sort(), migrations.map((m) => m.name));
        assert.equal(applications, migrations.length);
      } finally {
        await a.close();
        if (b !== a) await b.close();
      }
    });

    it('round-trips strings, numbers, booleans, nulls and JSON text', async () => {
      const extra = { tags: ['α', 'β'], nested: { n: 1.5, none: null } };
      await db.insertInto('projects').values([
        { id: 'p1', name: 'Prøject ☁ 🚀', enabled: true, quota: 42, extra: JSON.stringify(extra), created_at: '2024-01-02T03:04:05.000Z' },
        { id: 'p2', name: "o'brien \"quoted\" \\ back", enabled: false, quota: null, extra: null, created_at: '2024-01-02T03:04:06.000Z' },
      ]).execute();
      const rows = await db.selectFrom('projects').selectAll().where('id', 'in', ['p1', 'p2']).orderBy('id').execute();
      assert.equal(rows.length, 2);
      assert.equal(rows[0].name, 'Prøject ☁ 🚀');
      assert.equal(Boolean(rows[0].enabled), true);
      assert.equal(rows[0].quota, 42);
      assert.deepEqual(JSON.parse(rows[0].extra ?? 'null'), extra);
      assert.equal(rows[0].created_at, '2024-01-02T03:04:05.000Z');
      assert.equal(rows[1].name, "o'brien \"quoted\" \\ back");
      assert.equal(Boolean(rows[1].enabled), false);
      assert.equal(rows[1].quota, null);
      assert.equal(rows[1].extra, null);
      const enabled = await db.selectFrom('projects').select('id').where('enabled', '=', true).execute();
      assert.deepEqual(enabled.map((r) => r.id), ['p1']);
      const agg = await db.selectFrom('projects')
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('quota').as('total')]).executeTakeFirstOrThrow();
      assert.deepEqual({ n: agg.n, total: agg.total }, { n: 2, total: 42 }, 'count and sum come back as numbers');
    });

    it('compares strings case-sensitively, like the other engines', async () => {
      await db.insertInto('projects').values({ id: 'p3', name: 'CaseTest', enabled: true, quota: null, extra: null, created_at: '2024-01-01T00:00:00.000Z' }).execute();
      await db.insertInto('projects').values({ id: 'p4', name: 'casetest', enabled: true, quota: null, extra: null, created_at: '2024-01-01T00:00:00.000Z' }).execute();
      const found = await db.selectFrom('projects').select('id').where('name', '=', 'casetest').execute();
      assert.deepEqual(found.map((r) => r.id), ['p4']);
    });

    it('rolls back a transaction that throws', async () => {
      await assert.rejects(db.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values({ id: 'rolled', name: 'rolled', enabled: true, quota: 1, extra: null, created_at: '2024-01-01T00:00:00.000Z' }).execute();
        await trx.updateTable('counters').set({ value: 999 }).where('id', '=', 'hits').execute();
        throw new Error('boom');
      }), /boom/);
      assert.equal(await db.selectFrom('projects').select('id').where('id', '=', 'rolled').executeTakeFirst(), undefined);
      const counter = await db.selectFrom('counters').select('value').where('id', '=', 'hits').executeTakeFirstOrThrow();
      assert.equal(counter.value, 0);
    });

    it('rolls back to a savepoint without losing the rest of the transaction', async () => {
      const trx = await db.startTransaction().execute();
      await trx.insertInto('members').values({ id: 'm-kept', project_id: 'p1', user_id: 'u1' }).execute();
      const sp = await trx.savepoint('before_second').execute();
      await sp.insertInto('members').values({ id: 'm-dropped', project_id: 'p1', user_id: 'u2' }).execute();
      const back = await sp.rollbackToSavepoint('before_second').execute();
      await back.commit().execute();
      const ids = await db.selectFrom('members').select('id').where('id', 'like', 'm-%').execute();
      assert.deepEqual(ids.map((r) => r.id), ['m-kept']);
    });

    it('reports a duplicate unique value or primary key as a unique violation', async () => {
      const row = { id: 'dup1', name: 'dup', enabled: true, quota: null, extra: null, created_at: '2024-01-01T00:00:00.000Z' };
      await db.insertInto('projects').values(row).execute();
      const sameName = await db.insertInto('projects').values({ ...row, id: 'dup2' }).execute().catch((e: unknown) => e);
      assert.ok(isUniqueViolation(sameName), `expected a unique violation, got ${String(sameName)}`);
      assert.equal(isForeignKeyViolation(sameName), false);
      const sameId = await db.insertInto('projects').values({ ...row, name: 'other' }).execute().catch((e: unknown) => e);
      assert.ok(isUniqueViolation(sameId), `expected a primary key violation, got ${String(sameId)}`);
    });

    it('reports a missing or still-referenced parent as a foreign key violation', async () => {
      const orphan = await db.insertInto('members').values({ id: 'm-orphan', project_id: 'no-such-project', user_id: 'u1' })
        .execute().catch((e: unknown) => e);
      assert.ok(isForeignKeyViolation(orphan), `expected a foreign key violation, got ${String(orphan)}`);
      assert.equal(isUniqueViolation(orphan), false);
      const referenced = await db.deleteFrom('projects').where('id', '=', 'p1').execute().catch((e: unknown) => e);
      assert.ok(isForeignKeyViolation(referenced), `expected a foreign key violation, got ${String(referenced)}`);
      assert.equal(isUniqueViolation(new Error('UNIQUE constraint failed')), false, 'plain errors are not violations');
    });

    it('serialises 50 concurrent read-modify-write transactions without losing an increment', async () => {
      await db.updateTable('counters').set({ value: 0 }).where('id', '=', 'hits').execute();
      await Promise.all(Array.from({ length: 50 }, () => db.transaction().execute(async (trx) => {
        let read = trx.selectFrom('counters').select('value').where('id', '=', 'hits');
        // The servers need a row lock; SQLite's transaction already owns the only connection (and has no FOR UPDATE).
        if (database.dialect !== 'sqlite') read = read.forUpdate();
        const { value } = await read.executeTakeFirstOrThrow();
        await new Promise((resolve) => setImmediate(resolve)); // give other transactions a chance to interleave
        await trx.updateTable('counters').set({ value: value + 1 }).where('id', '=', 'hits').execute();
      })));
      const { value } = await db.selectFrom('counters').select('value').where('id', '=', 'hits').executeTakeFirstOrThrow();
      assert.equal(value, 50);
    });
  });
}

describe('database kit on sqlite only', () => {
  it('creates parent directories and turns on WAL and foreign keys', async () => {
    const url = `sqlite://${join(tmp, 'a', 'b', 'c', 'pragmas.sqlite')}`;
    const database = await openDatabase({ url });
    try {
      assert.ok(existsSync(join(tmp, 'a', 'b', 'c', 'pragmas.sqlite')));
      const mode = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(database.db);
      assert.equal(mode.rows[0].journal_mode, 'wal');
      const fk = await sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(database.db);
      assert.equal(fk.rows[0].foreign_keys, 1);
      const timeout = await sql<{ timeout: number }>`PRAGMA busy_timeout`.execute(database.db);
      assert.equal(timeout.rows[0].timeout, 5000);
    } finally {
      await database.close();
    }
  });

  it('binds booleans, dates and undefined, and keeps :memory: databases separate', async () => {
    const one = await openDatabase({ url: 'sqlite::memory:' });
    const two = await openDatabase({ url: 'sqlite::memory:' });
    try {
      const when = new Date('2024-05-06T07:08:09.010Z');
      const { rows } = await sql<{ t: number; f: number; d: string; u: null }>`SELECT ${true} AS t, ${false} AS f, ${when} AS d, ${undefined} AS u`.execute(one.db);
      assert.deepEqual(rows, [{ t: 1, f: 0, d: '2024-05-06T07:08:09.010Z', u: null }]);
      await sql`CREATE TABLE only_here (x integer)`.execute(one.db);
      await assert.rejects(sql`SELECT * FROM only_here`.execute(two.db), /no such table/);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('returns affected rows and insert ids for writes, and rows for RETURNING', async () => {
    const database = await openDatabase<{ t: { id: Generated<number>; v: string } }>({ url: 'sqlite::memory:' });
    try {
      await database.db.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v', 'varchar(32)').execute();
      const inserted = await database.db.insertInto('t').values({ v: 'a' }).executeTakeFirstOrThrow();
      assert.equal(inserted.insertId, 1n);
      const returned = await database.db.insertInto('t').values({ v: 'b' }).returning(['id', 'v']).execute();
      assert.deepEqual(returned, [{ id: 2, v: 'b' }]);
      const updated = await database.db.updateTable('t').set({ v: 'c' }).executeTakeFirstOrThrow();
      assert.equal(updated.numUpdatedRows, 2n);
      await assert.rejects(async () => {
        for await (const _ of database.db.selectFrom('t').selectAll().stream()) { /* never reached */ }
      }, /streaming queries are not supported/);
    } finally {
      await database.close();
    }
  });

  it('two processes migrating one file apply each migration once', async () => {
    const url = `sqlite://${join(tmp, 'two-processes.sqlite')}`;
    const indexPath = new URL('./index.ts', import.meta.url).pathname;
    // Each migration sleeps inside its transaction, so the second process really meets the first one's lock.
    const script = `
      import { openDatabase, runMigrations } from ${JSON.stringify(indexPath)};
      const database = await openDatabase({ url: process.argv[1] });
      const slow = (name) => ({ name, up: async (db) => {
        await db.schema.createTable(name).addColumn('id', 'integer').execute();
        await new Promise((resolve) => setTimeout(resolve, 150));
      } });
      console.log(JSON.stringify(await runMigrations(database, [slow('m1'), slow('m2'), slow('m3')])));
      await database.close();`;
    const run = () => promisify(execFile)(process.execPath,
      ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script, url]);
    const [a, b] = await Promise.all([run(), run()]);
    const applied = [...JSON.parse(a.stdout) as string[], ...JSON.parse(b.stdout) as string[]].sort();
    assert.deepEqual(applied, ['m1', 'm2', 'm3']);
  });
});

describe('database URLs', () => {
  it('puts the service name into a template, as a plain identifier', () => {
    assert.equal(databaseUrlFor('postgresql://127.0.0.1/stratus_{service}', 'block-storage'), 'postgresql://127.0.0.1/stratus_block_storage');
    assert.equal(databaseUrlFor('sqlite:///data/db/{service}.sqlite', 'compute'), 'sqlite:///data/db/compute.sqlite');
    assert.equal(databaseUrlFor('sqlite::memory:', 'compute'), 'sqlite::memory:');
    assert.throws(() => databaseUrlFor('mysql://root@127.0.0.1/stratus', 'compute'), /must contain \{service\}/);
  });

  it('recognises each supported form and rejects the rest', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite:///var/lib/a%20b.sqlite'), { dialect: 'sqlite', path: '/var/lib/a b.sqlite' });
    assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', path: ':memory:' });
    assert.equal(parseDatabaseUrl('postgres://u@h:5433/x').dialect, 'postgres');
    assert.equal(parseDatabaseUrl('mariadb://u:p@h/x').dialect, 'mysql');
    assert.throws(() => parseDatabaseUrl('sqlite://relative.sqlite'), /absolute/);
    assert.throws(() => parseDatabaseUrl('mongodb://h/x'), /unsupported/);
    assert.throws(() => parseDatabaseUrl('mysql://u:secret@h/bad;name'), (err: Error) => !err.message.includes('secret'));
  });

  it('turns exact decimal text into numbers and keeps the rest as text', () => {
    assert.equal(numberIfExact('42'), 42);
    assert.equal(numberIfExact('-0.125'), -0.125);
    assert.equal(numberIfExact('9007199254740993'), '9007199254740993');
    assert.equal(numberIfExact('0.12345678901234567'), '0.12345678901234567');
    assert.equal(numberIfExact(null), null);
  });
});
