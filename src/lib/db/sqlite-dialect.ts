// A Kysely dialect for Node's built-in node:sqlite, so the embedded default database needs no native npm module.
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import {
  CompiledQuery, IdentifierNode, RawNode, createQueryId, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
} from 'kysely';
import type {
  DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler,
  QueryResult, TransactionSettings,
} from 'kysely';

export interface NodeSqliteDialectConfig {
  /** A file path, or ':memory:'. The parent directory must exist. */
  path: string;
  /** How long a writer waits for another process's lock before SQLITE_BUSY (ms); default 5000. */
  busyTimeoutMs?: number;
}

/** One shared DatabaseSync connection; the driver serialises access so a transaction owns it exclusively. */
export class NodeSqliteDialect implements Dialect {
  readonly #config: NodeSqliteDialectConfig;
  constructor(config: NodeSqliteDialectConfig) {
    this.#config = config;
  }
  createDriver(): Driver { return new NodeSqliteDriver(this.#config); }
  createQueryCompiler(): QueryCompiler { return new SqliteQueryCompiler(); }
  createAdapter(): DialectAdapter { return new SqliteAdapter(); }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own Dialect signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector { return new SqliteIntrospector(db); }
}

/** A FIFO lock: Kysely acquires a connection per query or transaction, and only one may hold it at a time. */
class Mutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];
  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next(); // hand the lock straight to the next waiter, so no one can jump the queue
    else this.#locked = false;
  }
}

class NodeSqliteDriver implements Driver {
  readonly #config: NodeSqliteDialectConfig;
  readonly #mutex = new Mutex();
  #db: DatabaseSync | undefined;
  #connection: NodeSqliteConnection | undefined;

  constructor(config: NodeSqliteDialectConfig) {
    this.#config = config;
  }

  async init(): Promise<void> {
    const db = new DatabaseSync(this.#config.path);
    // WAL lets readers in other processes proceed during a write; NORMAL is durable enough with WAL.
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(this.#config.busyTimeoutMs ?? 5000)}`);
    db.exec('PRAGMA synchronous = NORMAL');
    this.#db = db;
    this.#connection = new NodeSqliteConnection(db);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    if (!this.#connection) {
      this.#mutex.unlock();
      throw new Error('the sqlite database is closed');
    }
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes can
    // fail with SQLITE_BUSY when another process wrote in between, and busy_timeout cannot help it.
    const mode = settings.accessMode === 'read only' ? 'DEFERRED' : 'IMMEDIATE';
    await connection.executeQuery(CompiledQuery.raw(`BEGIN ${mode}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // SQLite rolls back on its own after some errors (SQLITE_FULL, SQLITE_BUSY in COMMIT…); a second ROLLBACK would throw.
    if (this.#db?.isTransaction) await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compile(savepointCommand('SAVEPOINT', name), createQueryId()));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compile(savepointCommand('ROLLBACK TO', name), createQueryId()));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compile(savepointCommand('RELEASE', name), createQueryId()));
  }

  async destroy(): Promise<void> {
    if (!this.#db) return;
    await this.#mutex.lock(); // let the query or transaction in flight finish first
    try {
      this.#connection?.clear();
      this.#db.close();
    } finally {
      this.#db = undefined;
      this.#connection = undefined;
      this.#mutex.unlock();
    }
  }
}

const STATEMENT_CACHE_SIZE = 200;

class NodeSqliteConnection implements DatabaseConnection {
  readonly #db: DatabaseSync;
  // Kysely sends the same SQL text again and again; preparing it once saves most of a simple query's cost.
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.#prepare(compiledQuery.sql);
    const params = compiledQuery.parameters.map(toSqliteValue);
    if (stmt.columns().length > 0) {
      // Rows from node:sqlite have a null prototype; plain objects compare and print as callers expect.
      return { rows: stmt.all(...params).map((row) => ({ ...row }) as R) };
    }
    const { changes, lastInsertRowid } = stmt.run(...params);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by the node:sqlite dialect; page with limit/offset instead');
  }

  clear(): void {
    this.#statements.clear();
  }

  #prepare(sql: string): StatementSync {
    const cached = this.#statements.get(sql);
    if (cached) {
      this.#statements.delete(sql); // re-insert below so the map's order is least-recently-used first
      this.#statements.set(sql, cached);
      return cached;
    }
    const stmt = this.#db.prepare(sql);
    this.#statements.set(sql, stmt);
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return stmt;
  }
}

/** node:sqlite binds only null, numbers, bigints, strings and bytes; map the other values Kysely passes through. */
function toSqliteValue(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value as SQLInputValue;
}

function savepointCommand(command: string, name: string): RawNode {
  return RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
}
