// Volumes attached to servers (Nova's block device mappings, reduced to attached volumes): one row per server and
// volume, with the Block Storage attachment that holds the volume for it.
import type { Migration } from '#lib/db/index.ts';

export const blockDeviceMappings: Migration = {
  name: 'compute-016-block-device-mappings',
  async up(db) {
    await db.schema.createTable('block_device_mappings')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('instance_uuid', 'varchar(64)', (c) => c.notNull())
      .addColumn('volume_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('attachment_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('device_name', 'varchar(64)', (c) => c.notNull())
      .addColumn('delete_on_termination', 'boolean', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addUniqueConstraint('bdm_instance_volume_uniq', ['instance_uuid', 'volume_id'])
      .addUniqueConstraint('bdm_instance_device_uniq', ['instance_uuid', 'device_name'])
      .execute();
  },
};
