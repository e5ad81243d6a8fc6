// Opens a service's database from its URL, so services see one Kysely handle whatever the engine behind it.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import { Pool, TypeOverrides } from 'pg';
import { createPool } from 'mysql2';
import type { Logger } from '../log.ts';
import type { Dialect } from './database-url.ts';
import { parseDatabaseUrl, redactUrl } from './database-url.ts';
import { ensureDatabase, mysqlConnectionOptions } from './server-admin.ts';
import { NodeSqliteDialect } from './sqlite-dialect.ts';

export interface Database<DB> {
  db: Kysely<DB>;
  dialect: Dialect;
  /** Waits for queries in flight, then closes every connection. Call once. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  url: string;
  log?: Logger;
  /** Connections per process for PostgreSQL/MariaDB; default 10. */
  poolSize?: number;
}

/**
 * Opens the database a URL names, creating it (sqlite: the file and its directories; pg/mysql: the
 * database on the server) when missing. Safe when several processes open the same database at once.
 */
export async function openDatabase<DB>(opts: OpenDatabaseOptions): Promise<Database<DB>> {
  const target = parseDatabaseUrl(opts.url);
  if (target.dialect === 'sqlite' && target.path !== ':memory:') return openSharedSqlite<DB>(target.path, opts);
  return openNew<DB>(opts);
}

// node:sqlite is synchronous: a second connection to a file waiting on the first one's lock would block the event
// loop that the first one needs to finish. So the roles of one process (compute-api, conductor, scheduler…) share one
// connection per file, counted by reference; the dialect serialises their transactions.
const sharedSqlite = new Map<string, { database: Promise<Database<unknown>>; refs: number }>();

async function openSharedSqlite<DB>(path: string, opts: OpenDatabaseOptions): Promise<Database<DB>> {
  const key = resolve(path);
  let entry = sharedSqlite.get(key);
  if (!entry) {
    entry = { database: openNew<unknown>(opts), refs: 0 };
    sharedSqlite.set(key, entry);
    entry.database.catch(() => sharedSqlite.delete(key));
  }
  entry.refs += 1;
  const shared = (await entry.database) as Database<DB>;
  const held = entry;
  let closed = false;
  return {
    db: shared.db, dialect: shared.dialect,
    async close() {
      if (closed) return;
      closed = true;
      held.refs -= 1;
      if (held.refs === 0) {
        sharedSqlite.delete(key);
        await shared.close();
      }
    },
  };
}

async function openNew<DB>(opts: OpenDatabaseOptions): Promise<Database<DB>> {
  const target = parseDatabaseUrl(opts.url);
  const poolSize = opts.poolSize ?? 10;
  let db: Kysely<DB>;
  if (target.dialect === 'sqlite') {
    if (target.path !== ':memory:') mkdirSync(dirname(target.path), { recursive: true });
    db = new Kysely<DB>({ dialect: new NodeSqliteDialect({ path: target.path }) });
  } else if (target.dialect === 'postgres') {
    await ensureDatabase(target);
    const pool = new Pool({ connectionString: target.url.href, max: poolSize, types: postgresTypes() });
    // An idle client losing its server must not crash the process; the pool replaces it on next use.
    pool.on('error', (err) => opts.log?.warn({ err }, 'idle PostgreSQL connection failed'));
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  } else {
    await ensureDatabase(target);
    const pool = createPool({
      ...mysqlConnectionOptions(target.url, target.database),
      connectionLimit: poolSize,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: false,
      // DECIMAL (what SUM() returns) arrives as a string; give numbers where exact, as pg and sqlite do.
      typeCast: (field, next) => (field.type === 'NEWDECIMAL' ? numberIfExact(field.string()) : next()),
    });
    db = new Kysely<DB>({ dialect: new MysqlDialect({ pool }) });
  }
  // Fail here, with the URL in the message, rather than on the service's first request.
  try {
    await db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw new Error(`cannot open database ${redactUrl(opts.url)}: ${(err as Error).message}`, { cause: err });
  }
  opts.log?.info({ dialect: target.dialect, url: redactUrl(opts.url) }, 'database opened');
  return { db, dialect: target.dialect, close: () => db.destroy() };
}

/** Per-pool type parsers (never pg's global ones): int8 (count, sum) and numeric come back as numbers when exact. */
function postgresTypes(): TypeOverrides {
  const types = new TypeOverrides();
  types.setTypeParser(20, numberIfExact); // int8
  types.setTypeParser(1700, numberIfExact); // numeric
  return types;
}

/** A number when the decimal text converts without losing digits; otherwise the text itself. */
export function numberIfExact(text: string | null): number | string | null {
  if (text === null) return null;
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  if (Number.isInteger(n)) return Number.isSafeInteger(n) ? n : text;
  const digits = text.replace(/^[-+]?0*/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return digits.length <= 15 ? n : text;
}
