// Applies each service's schema migrations once, even when several processes start against one database.
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './connect.ts';
import type { Dialect } from './database-url.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration predates the tables it creates
type AnyDB = any;

export interface Migration {
  /** Stable and unique forever: it is the key recorded in stratus_migrations. Order comes from the array. */
  name: string;
  /** Runs inside a transaction (on MySQL each DDL statement commits on its own, so prefer one DDL per migration). */
  up(db: Kysely<AnyDB>, dialect: Dialect): Promise<void>;
}

const TABLE = 'stratus_migrations';
// pg advisory locks are per database; any fixed key works. Arbitrary value: 'stratusm' as ASCII bytes.
const PG_LOCK_KEY = '8319395793566837357';
const MYSQL_LOCK_WAIT_SECONDS = 600;
// GET_LOCK names are server-wide, so the name carries the database, hashed to fit the 64-character limit.
const mysqlLockName = sql`CONCAT('stratus_migrations_', MD5(DATABASE()))`;

/**
 * Applies the migrations not yet recorded, in array order, each in its own transaction, and returns the
 * names it applied. Idempotent: a second run applies nothing. Concurrent runs (threads of one process or
 * several processes) are serialised by a lock — pg_advisory_lock, GET_LOCK, or SQLite's single connection
 * and BEGIN IMMEDIATE — and each migration is re-checked inside its transaction, so each applies once.
 */
export async function runMigrations<DB>(database: Database<DB>, migrations: Migration[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    seen.add(m.name);
  }
  const { dialect } = database;
  const root = database.db as Kysely<AnyDB>;
  // One pinned connection: advisory locks belong to a session, and SQLite's mutex is held for the whole run.
  return root.connection().execute(async (conn) => {
    await lock(conn, dialect);
    try {
      await conn.schema.createTable(TABLE).ifNotExists()
        .addColumn('name', 'varchar(255)', (col) => col.primaryKey())
        .addColumn('applied_at', 'varchar(32)', (col) => col.notNull())
        .execute();
      const applied = await appliedNames(conn);
      const done: string[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.name)) continue;
        const ran = await conn.transaction().execute(async (trx) => {
          // Another process sharing a SQLite file may have applied it since we looked; BEGIN IMMEDIATE made that final.
          if ((await appliedNames(trx, migration.name)).size > 0) return false;
          await migration.up(trx, dialect);
          await trx.insertInto(TABLE).values({ name: migration.name, applied_at: new Date().toISOString() }).execute();
          return true;
        });
        if (ran) done.push(migration.name);
      }
      return done;
    } finally {
      // A failed unlock means the session is gone, and the lock with it; do not hide the migration's own error.
      await unlock(conn, dialect).catch(() => undefined);
    }
  });
}

async function appliedNames(db: Kysely<AnyDB>, only?: string): Promise<Set<string>> {
  let query = db.selectFrom(TABLE).select('name');
  if (only !== undefined) query = query.where('name', '=', only);
  const rows = await query.execute();
  return new Set(rows.map((r: { name: string }) => r.name));
}

async function lock(conn: Kysely<AnyDB>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`SELECT pg_advisory_lock(${sql.lit(PG_LOCK_KEY)}::bigint)`.execute(conn);
  } else if (dialect === 'mysql') {
    const { rows } = await sql<{ ok: number | null }>`SELECT GET_LOCK(${mysqlLockName}, ${MYSQL_LOCK_WAIT_SECONDS}) AS ok`.execute(conn);
    if (Number(rows[0]?.ok) !== 1) throw new Error(`timed out after ${MYSQL_LOCK_WAIT_SECONDS}s waiting for the migration lock`);
  }
}

async function unlock(conn: Kysely<AnyDB>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_advisory_unlock(${sql.lit(PG_LOCK_KEY)}::bigint)`.execute(conn);
  else if (dialect === 'mysql') await sql`SELECT RELEASE_LOCK(${mysqlLockName})`.execute(conn);
}
