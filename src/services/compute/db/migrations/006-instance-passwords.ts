// The password a guest posts to the metadata service (Nova keeps it in the instance's system metadata): one row per
// instance, written once — the primary key is what makes a second POST a conflict, whatever races.
import type { Migration } from '#lib/db/index.ts';

export const instancePasswords: Migration = {
  name: 'compute-022-instance-passwords',
  async up(db) {
    await db.schema.createTable('instance_passwords')
      .addColumn('instance_uuid', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('password', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
  },
};
