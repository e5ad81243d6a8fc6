// Creates and drops whole databases on PostgreSQL/MariaDB servers, so a service can start on an empty server.
import { rm } from 'node:fs/promises';
import { Client, escapeIdentifier } from 'pg';
import { createConnection } from 'mysql2/promise';
import type { DatabaseTarget } from './database-url.ts';
import { parseDatabaseUrl } from './database-url.ts';

type ServerTarget = Exclude<DatabaseTarget, { dialect: 'sqlite' }>;

/** The options mysql2 needs from a mysql:// URL, without the database unless asked. */
export function mysqlConnectionOptions(url: URL, database?: string) {
  return {
    host: decodeURIComponent(url.hostname) || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    ...(database === undefined ? {} : { database }),
    charset: 'utf8mb4',
  };
}

/**
 * Makes sure the database named by the target exists, creating it if not. Idempotent, and safe when
 * several processes start at once: losing the race to create it is not an error.
 */
export async function ensureDatabase(target: ServerTarget): Promise<void> {
  if (target.dialect === 'postgres') await ensurePostgresDatabase(target.url, target.database);
  else await ensureMysqlDatabase(target.url, target.database);
}

/** Drops the database a URL names (sqlite: deletes the file and its WAL). For tests and teardown; idempotent. */
export async function dropDatabase(url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === 'sqlite') {
    if (target.path === ':memory:') return;
    await Promise.all(['', '-wal', '-shm', '-journal'].map((suffix) => rm(target.path + suffix, { force: true })));
  } else if (target.dialect === 'postgres') {
    await withPostgres(maintenanceUrl(target.url), (client) =>
      client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(target.database)} WITH (FORCE)`));
  } else {
    const conn = await createConnection(mysqlConnectionOptions(target.url));
    try {
      await conn.query(`DROP DATABASE IF EXISTS ${mysqlIdentifier(target.database)}`);
    } finally {
      await conn.end();
    }
  }
}

async function ensurePostgresDatabase(url: URL, database: string): Promise<void> {
  // Connect to the database itself first, so a user without rights on the maintenance db still works once it exists.
  try {
    await withPostgres(url, () => Promise.resolve());
    return;
  } catch (err) {
    if (errorCode(err) !== '3D000') throw err; // invalid_catalog_name: the database does not exist
  }
  await withPostgres(maintenanceUrl(url), async (client) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.query(`CREATE DATABASE ${escapeIdentifier(database)}`);
        return;
      } catch (err) {
        const code = errorCode(err);
        // 42P04 duplicate_database, 23505 the same race caught by pg_database's unique index.
        if (code === '42P04' || code === '23505') return;
        // 55006: another session was copying template1 at that moment; it clears quickly.
        if (code !== '55006' || attempt >= 10) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
}

async function ensureMysqlDatabase(url: URL, database: string): Promise<void> {
  try {
    await (await createConnection(mysqlConnectionOptions(url, database))).end();
    return;
  } catch (err) {
    if (errorCode(err) !== 'ER_BAD_DB_ERROR') throw err;
  }
  const conn = await createConnection(mysqlConnectionOptions(url));
  try {
    // utf8mb4_bin compares like SQLite and PostgreSQL do: 'Admin' and 'admin' are different names.
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${mysqlIdentifier(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await conn.end();
  }
}

async function withPostgres<T>(url: URL, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url.href });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function maintenanceUrl(url: URL): URL {
  const admin = new URL(url.href);
  admin.pathname = '/postgres';
  return admin;
}

function mysqlIdentifier(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`';
}

function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}
