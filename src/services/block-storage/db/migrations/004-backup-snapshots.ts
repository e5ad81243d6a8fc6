// Backups of snapshots: a backup records the snapshot it read (null: the volume itself), as Cinder's backups table does.
import type { Migration } from '#lib/db/index.ts';

export const backupSnapshots: Migration = {
  name: 'block-storage-004-backup-snapshots',
  async up(db) {
    await db.schema.alterTable('backups').addColumn('snapshot_id', 'varchar(64)').execute();
  },
};
