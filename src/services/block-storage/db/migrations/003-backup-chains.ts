// Incremental, chunked backups: each backup records its container, its parent (the backup it increments), its object
// count, data timestamp and metadata. Backups made before keep a null container: the old layout, still restorable.
import type { Migration } from '#lib/db/index.ts';

export const backupChains: Migration = {
  name: 'block-storage-003-backup-chains',
  async up(db) {
    // One DDL statement per step (MySQL commits each on its own).
    await db.schema.alterTable('backups').addColumn('container', 'varchar(255)').execute();
    await db.schema.alterTable('backups').addColumn('parent_id', 'varchar(64)').execute();
    await db.schema.alterTable('backups').addColumn('object_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('backups').addColumn('data_timestamp', 'varchar(32)').execute();
    await db.schema.alterTable('backups').addColumn('metadata', 'text').execute();
    await db.schema.createIndex('backups_parent_id_idx').on('backups').column('parent_id').execute();
    await db.schema.createIndex('backups_volume_id_idx').on('backups').column('volume_id').execute();
  },
};
