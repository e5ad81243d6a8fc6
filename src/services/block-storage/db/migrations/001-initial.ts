// Block storage's first schema, and Cinder's default volume type `__DEFAULT__`, created once on first start.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';
import { backupChains } from './003-backup-chains.ts';
import { backupSnapshots } from './004-backup-snapshots.ts';
import { volumeMigration } from './005-volume-migration.ts';

const id = 'varchar(64)';
const name = 'varchar(255)';
const ts = 'varchar(32)';

// One DDL statement per step: MySQL commits each on its own, so a failed step leaves the earlier ones intact.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
type Step = (db: Kysely<any>) => Promise<unknown>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const metadataTable = (db: Kysely<any>, table: string, owner: string) => db.schema.createTable(table)
  .addColumn('owner_id', id, (c) => c.notNull().references(`${owner}.id`).onDelete('cascade'))
  .addColumn('key', name, (c) => c.notNull())
  .addColumn('value', name, (c) => c.notNull())
  .addPrimaryKeyConstraint(`${table}_pk`, ['owner_id', 'key'])
  .execute();

const steps: Step[] = [
  (db) => db.schema.createTable('volume_types')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('is_public', 'boolean', (c) => c.notNull())
    .addColumn('qos_specs_id', id)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('volume_types_name_uniq', ['name'])
    .execute(),
  (db) => db.schema.createTable('qos_specs')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('consumer', name, (c) => c.notNull())
    .addColumn('specs', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addUniqueConstraint('qos_specs_name_uniq', ['name'])
    .execute(),
  (db) => db.schema.createTable('volume_type_extra_specs')
    .addColumn('type_id', id, (c) => c.notNull().references('volume_types.id').onDelete('cascade'))
    .addColumn('key', name, (c) => c.notNull())
    .addColumn('value', name, (c) => c.notNull())
    .addPrimaryKeyConstraint('volume_type_extra_specs_pk', ['type_id', 'key'])
    .execute(),
  (db) => db.schema.createTable('volume_type_projects')
    .addColumn('type_id', id, (c) => c.notNull().references('volume_types.id').onDelete('cascade'))
    .addColumn('project_id', id, (c) => c.notNull())
    .addPrimaryKeyConstraint('volume_type_projects_pk', ['type_id', 'project_id'])
    .execute(),
  (db) => db.schema.createTable('volumes')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('project_id', id, (c) => c.notNull())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('name', name)
    .addColumn('description', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('status', name, (c) => c.notNull())
    .addColumn('attach_status', name, (c) => c.notNull())
    .addColumn('host', name)
    .addColumn('availability_zone', name, (c) => c.notNull())
    .addColumn('volume_type_id', id, (c) => c.notNull().references('volume_types.id'))
    .addColumn('snapshot_id', id)
    .addColumn('source_volid', id)
    .addColumn('backup_id', id)
    .addColumn('image_metadata', 'text')
    .addColumn('bootable', 'boolean', (c) => c.notNull())
    .addColumn('read_only', 'boolean', (c) => c.notNull())
    .addColumn('multiattach', 'boolean', (c) => c.notNull())
    .addColumn('provider_location', 'text')
    .addColumn('format', name, (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addColumn('launched_at', ts)
    .execute(),
  (db) => db.schema.createIndex('volumes_project_id_idx').on('volumes').column('project_id').execute(),
  (db) => db.schema.createIndex('volumes_host_status_idx').on('volumes').columns(['host', 'status']).execute(),
  (db) => metadataTable(db, 'volume_metadata', 'volumes'),
  (db) => db.schema.createTable('snapshots')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('project_id', id, (c) => c.notNull())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('volume_id', id, (c) => c.notNull().references('volumes.id'))
    .addColumn('name', name)
    .addColumn('description', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('status', name, (c) => c.notNull())
    .addColumn('progress', name, (c) => c.notNull())
    .addColumn('provider_location', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute(),
  (db) => db.schema.createIndex('snapshots_volume_id_idx').on('snapshots').column('volume_id').execute(),
  (db) => metadataTable(db, 'snapshot_metadata', 'snapshots'),
  (db) => db.schema.createTable('quotas')
    .addColumn('project_id', id, (c) => c.notNull())
    .addColumn('resource', name, (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
    .execute(),
  (db) => db.schema.createTable('volume_attachments')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('volume_id', id, (c) => c.notNull().references('volumes.id').onDelete('cascade'))
    .addColumn('instance_uuid', id)
    .addColumn('attached_host', name)
    .addColumn('mountpoint', name)
    .addColumn('attach_status', name, (c) => c.notNull())
    .addColumn('attach_mode', name, (c) => c.notNull())
    .addColumn('connector', 'text')
    .addColumn('connection_info', 'text')
    .addColumn('attach_time', ts)
    .addColumn('detach_time', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute(),
  (db) => db.schema.createIndex('volume_attachments_volume_id_idx').on('volume_attachments').column('volume_id').execute(),
  (db) => db.schema.createTable('volume_transfers')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('volume_id', id, (c) => c.notNull().references('volumes.id').onDelete('cascade'))
    .addColumn('project_id', id, (c) => c.notNull())
    .addColumn('name', name)
    .addColumn('salt', name, (c) => c.notNull())
    .addColumn('crypt_hash', name, (c) => c.notNull())
    .addColumn('no_snapshots', 'boolean', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addUniqueConstraint('volume_transfers_volume_id_uniq', ['volume_id'])
    .execute(),
  (db) => db.schema.createTable('backups')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('project_id', id, (c) => c.notNull())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('volume_id', id, (c) => c.notNull())
    .addColumn('host', name, (c) => c.notNull())
    .addColumn('availability_zone', name, (c) => c.notNull())
    .addColumn('name', name)
    .addColumn('description', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('status', name, (c) => c.notNull())
    .addColumn('fail_reason', 'text')
    .addColumn('location', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute(),
  (db) => db.schema.createIndex('backups_project_id_idx').on('backups').column('project_id').execute(),
  (db) => db.schema.createTable('services')
    .addColumn('id', name, (c) => c.primaryKey())
    .addColumn('binary', name, (c) => c.notNull())
    .addColumn('host', name, (c) => c.notNull())
    .addColumn('availability_zone', name, (c) => c.notNull())
    .addColumn('disabled', 'boolean', (c) => c.notNull())
    .addColumn('disabled_reason', name)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute(),
];

export const initial: Migration = {
  name: 'block-storage-001-initial',
  async up(db) {
    for (const step of steps) await step(db);
  },
};

/** Cinder's default type, so `volume create` without a type works on a fresh cloud. */
export const defaultType: Migration = {
  name: 'block-storage-002-default-type',
  async up(db) {
    const now = new Date().toISOString();
    await db.insertInto('volume_types').values({
      id: '0e7b5e2a-0bde-4a2c-9c2f-6c0a4f1e0001', name: '__DEFAULT__', description: 'Default Volume Type', is_public: true,
      created_at: now, updated_at: now,
    }).execute();
  },
};

export const blockStorageMigrations: Migration[] = [initial, defaultType, backupChains, backupSnapshots, volumeMigration];
