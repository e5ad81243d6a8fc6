// Nova's instance_system_metadata: what compute itself records about a server, which users never see or set (shelve
// keeps shelved_at, shelved_image_id and shelved_host here). One row per key and server.
import type { Migration } from '#lib/db/index.ts';

export const instanceSystemMetadata: Migration = {
  name: 'compute-instance-system-metadata',
  async up(db) {
    await db.schema.createTable('instance_system_metadata')
      .addColumn('instance_uuid', 'varchar(64)', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('instance_system_metadata_pk', ['instance_uuid', 'key'])
      .execute();
  },
};
