// The shared database kit services import: open a database by URL, migrate it, recognise constraint errors.
export { openDatabase } from './connect.ts';
export type { Database, OpenDatabaseOptions } from './connect.ts';
export { databaseUrlFor, parseDatabaseUrl, redactUrl } from './database-url.ts';
export type { DatabaseTarget, Dialect } from './database-url.ts';
export { runMigrations } from './migrate.ts';
export type { Migration } from './migrate.ts';
export { isForeignKeyViolation, isUniqueViolation } from './errors.ts';
export { dropDatabase } from './server-admin.ts';
export { NodeSqliteDialect } from './sqlite-dialect.ts';
export type { NodeSqliteDialectConfig } from './sqlite-dialect.ts';
