// Host aggregates (with their hosts and metadata, the availability zone among it) and migrations (a resize's record:
// from where to where, which flavors, how far it got). Both have integer ids, as Nova shows them; how a column
// autoincrements differs per dialect. One DDL statement per migration, for MySQL.
import type { Kysely } from 'kysely';
import type { Dialect, Migration } from '#lib/db/index.ts';

const ts = 'varchar(32)';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
type AnyDb = Kysely<any>;
const step = (name: string, up: (db: AnyDb, dialect: Dialect) => Promise<unknown>): Migration => ({ name, async up(db, dialect) { await up(db, dialect); } });

/** An autoincrementing integer primary key in this dialect's words. */
function serialId(db: AnyDb, dialect: Dialect, table: string) {
  return dialect === 'postgres'
    ? db.schema.createTable(table).addColumn('id', 'serial', (c) => c.primaryKey())
    : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

export const aggregatesMigrations: Migration[] = [
  step('compute-017-aggregates', (db, dialect) => serialId(db, dialect, 'aggregates')
    .addColumn('uuid', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts)
    .execute()),
  step('compute-018-aggregate-hosts', (db) => db.schema.createTable('aggregate_hosts')
    .addColumn('aggregate_id', 'integer', (c) => c.notNull())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('aggregate_hosts_pk', ['aggregate_id', 'host'])
    .execute()),
  step('compute-019-aggregate-metadata', (db) => db.schema.createTable('aggregate_metadata')
    .addColumn('aggregate_id', 'integer', (c) => c.notNull())
    .addColumn('key', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('aggregate_metadata_pk', ['aggregate_id', 'key'])
    .execute()),
  step('compute-020-migrations', (db, dialect) => serialId(db, dialect, 'migrations')
    .addColumn('uuid', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('instance_uuid', 'varchar(64)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('migration_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'varchar(32)', (c) => c.notNull())
    .addColumn('source_compute', 'varchar(255)')
    .addColumn('source_node', 'varchar(255)')
    .addColumn('dest_compute', 'varchar(255)')
    .addColumn('dest_node', 'varchar(255)')
    // The flavors as JSON snapshots: revert restores the old one whatever happened to the flavor since.
    .addColumn('old_flavor', 'text', (c) => c.notNull())
    .addColumn('new_flavor', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute()),
  step('compute-021-migrations-instance-index', (db) => db.schema.createIndex('migrations_instance_idx').on('migrations').columns(['instance_uuid', 'id']).execute()),
];
