// Compute's first schema (flavors), and devstack's default flavors, created once on first start.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

const id = 'varchar(255)';
const ts = 'varchar(32)';

// One DDL statement per step: MySQL commits each on its own, so a failed step leaves the earlier ones intact.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
const steps: ((db: Kysely<any>) => Promise<unknown>)[] = [
  (db) => db.schema.createTable('flavors')
    .addColumn('flavorid', id, (c) => c.primaryKey())
    .addColumn('name', id, (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('root_gb', 'integer', (c) => c.notNull())
    .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
    .addColumn('swap', 'integer', (c) => c.notNull())
    .addColumn('rxtx_factor', 'double precision', (c) => c.notNull())
    .addColumn('is_public', 'boolean', (c) => c.notNull())
    .addColumn('disabled', 'boolean', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('flavors_name_uniq', ['name'])
    .execute(),
  (db) => db.schema.createTable('flavor_extra_specs')
    .addColumn('flavorid', id, (c) => c.notNull().references('flavors.flavorid').onDelete('cascade'))
    .addColumn('key', id, (c) => c.notNull())
    .addColumn('value', id, (c) => c.notNull())
    .addPrimaryKeyConstraint('flavor_extra_specs_pk', ['flavorid', 'key'])
    .execute(),
  (db) => db.schema.createTable('flavor_projects')
    .addColumn('flavorid', id, (c) => c.notNull().references('flavors.flavorid').onDelete('cascade'))
    .addColumn('project_id', id, (c) => c.notNull())
    .addPrimaryKeyConstraint('flavor_projects_pk', ['flavorid', 'project_id'])
    .execute(),
];

export const initial: Migration = {
  name: 'compute-001-initial',
  async up(db) {
    for (const step of steps) await step(db);
  },
};

/** Devstack's flavors, so `server create --flavor m1.tiny` works on a fresh cloud. */
export const defaultFlavors: Migration = {
  name: 'compute-002-default-flavors',
  async up(db) {
    const now = new Date().toISOString();
    const flavor = (flavorid: string, name: string, memory_mb: number, root_gb: number, vcpus: number) => ({
      flavorid, name, memory_mb, vcpus, root_gb, ephemeral_gb: 0, swap: 0, rxtx_factor: 1, is_public: true, disabled: false,
      description: null, created_at: now, updated_at: now,
    });
    await db.insertInto('flavors').values([
      flavor('1', 'm1.tiny', 512, 1, 1), flavor('2', 'm1.small', 2048, 20, 1), flavor('3', 'm1.medium', 4096, 40, 2),
    ]).execute();
  },
};


