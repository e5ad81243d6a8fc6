// Volume migration (retype with migration_policy on-demand): each volume records its migration's status, as Cinder's
// volumes table does (null: never migrated; migrating, success or error).
import type { Migration } from '#lib/db/index.ts';

export const volumeMigration: Migration = {
  name: 'block-storage-005-volume-migration',
  async up(db) {
    await db.schema.alterTable('volumes').addColumn('migration_status', 'varchar(36)').execute();
  },
};
