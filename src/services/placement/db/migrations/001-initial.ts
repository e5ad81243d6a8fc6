// Placement's first schema. The invariants live in the database: unique provider names, no provider deleted while it
// has children or allocations, no allocation without an inventory to draw from (foreign keys), generations for CAS.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

const uuid = 'varchar(64)';
const name = 'varchar(255)';
const ts = 'varchar(32)';

// One DDL statement per step: MySQL commits each on its own, so a failed step leaves the earlier ones intact.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
const steps: ((db: Kysely<any>) => Promise<unknown>)[] = [
  (db) => db.schema.createTable('resource_providers')
    .addColumn('uuid', uuid, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('parent_uuid', uuid, (c) => c.references('resource_providers.uuid'))
    .addColumn('root_uuid', uuid, (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('resource_providers_name_uniq', ['name'])
    .execute(),
  (db) => db.schema.createIndex('resource_providers_parent_uuid_idx').on('resource_providers').column('parent_uuid').execute(),
  (db) => db.schema.createIndex('resource_providers_root_uuid_idx').on('resource_providers').column('root_uuid').execute(),
  (db) => db.schema.createTable('resource_classes')
    .addColumn('name', name, (c) => c.primaryKey())
    .addColumn('standard', 'boolean', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute(),
  (db) => db.schema.createTable('traits')
    .addColumn('name', name, (c) => c.primaryKey())
    .addColumn('standard', 'boolean', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute(),
  (db) => db.schema.createTable('inventories')
    .addColumn('provider_uuid', uuid, (c) => c.notNull().references('resource_providers.uuid'))
    .addColumn('resource_class', name, (c) => c.notNull().references('resource_classes.name').onUpdate('cascade'))
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('reserved', 'integer', (c) => c.notNull())
    .addColumn('min_unit', 'integer', (c) => c.notNull())
    .addColumn('max_unit', 'integer', (c) => c.notNull())
    .addColumn('step_size', 'integer', (c) => c.notNull())
    .addColumn('allocation_ratio', 'double precision', (c) => c.notNull())
    // The sum of the allocations drawing from this inventory, kept by the same transaction that writes them, so
    // capacity checks and candidate searches read one row instead of summing every allocation.
    .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('inventories_pk', ['provider_uuid', 'resource_class'])
    .execute(),
  (db) => db.schema.createIndex('inventories_resource_class_idx').on('inventories').column('resource_class').execute(),
  (db) => db.schema.createTable('provider_traits')
    .addColumn('provider_uuid', uuid, (c) => c.notNull().references('resource_providers.uuid'))
    .addColumn('trait', name, (c) => c.notNull().references('traits.name'))
    .addPrimaryKeyConstraint('provider_traits_pk', ['provider_uuid', 'trait'])
    .execute(),
  (db) => db.schema.createIndex('provider_traits_trait_idx').on('provider_traits').column('trait').execute(),
  (db) => db.schema.createTable('provider_aggregates')
    .addColumn('provider_uuid', uuid, (c) => c.notNull().references('resource_providers.uuid'))
    .addColumn('aggregate_uuid', uuid, (c) => c.notNull())
    .addPrimaryKeyConstraint('provider_aggregates_pk', ['provider_uuid', 'aggregate_uuid'])
    .execute(),
  (db) => db.schema.createIndex('provider_aggregates_aggregate_uuid_idx').on('provider_aggregates').column('aggregate_uuid').execute(),
  (db) => db.schema.createTable('consumers')
    .addColumn('uuid', uuid, (c) => c.primaryKey())
    .addColumn('project_id', name, (c) => c.notNull())
    .addColumn('user_id', name, (c) => c.notNull())
    .addColumn('consumer_type', name)
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute(),
  (db) => db.schema.createIndex('consumers_project_user_idx').on('consumers').columns(['project_id', 'user_id']).execute(),
  (db) => db.schema.createTable('allocations')
    .addColumn('provider_uuid', uuid, (c) => c.notNull())
    .addColumn('resource_class', name, (c) => c.notNull())
    .addColumn('consumer_uuid', uuid, (c) => c.notNull().references('consumers.uuid'))
    .addColumn('used', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('allocations_pk', ['provider_uuid', 'resource_class', 'consumer_uuid'])
    .addForeignKeyConstraint('allocations_inventory_fk', ['provider_uuid', 'resource_class'], 'inventories',
      ['provider_uuid', 'resource_class'], (fk) => fk.onUpdate('cascade'))
    .execute(),
  (db) => db.schema.createIndex('allocations_consumer_uuid_idx').on('allocations').column('consumer_uuid').execute(),
];

export const initial: Migration = {
  name: 'placement-001-initial',
  async up(db) {
    for (const step of steps) await step(db);
  },
};

export const placementMigrations: Migration[] = [initial];
