// Block device mappings as Nova's v2 API describes them (boot from volume): where a disk comes from (an image, a
// snapshot, a blank, an existing volume), its boot index and size, and a volume and attachment that exist only once
// the agent made them. SQLite cannot drop NOT NULL in place, so the table is rebuilt: new table, copy, drop, rename —
// one statement per migration, for MySQL.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
type AnyDb = Kysely<any>;
const step = (name: string, up: (db: AnyDb) => Promise<unknown>): Migration => ({ name, async up(db) { await up(db); } });

const OLD_COLUMNS = ['id', 'instance_uuid', 'volume_id', 'attachment_id', 'device_name', 'delete_on_termination', 'created_at'];

export const bdmBootSourcesMigrations: Migration[] = [
  step('compute-bfv-bdm-table', (db) => db.schema.createTable('block_device_mappings_v2')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('instance_uuid', 'varchar(64)', (c) => c.notNull())
    // Null until the agent has created (image, snapshot, blank) and reserved the volume.
    .addColumn('volume_id', 'varchar(64)')
    .addColumn('attachment_id', 'varchar(64)')
    .addColumn('device_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('delete_on_termination', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('source_type', 'varchar(16)', (c) => c.notNull().defaultTo('volume'))
    .addColumn('destination_type', 'varchar(16)', (c) => c.notNull().defaultTo('volume'))
    .addColumn('boot_index', 'integer')
    // The image or snapshot the volume is made from (Nova's image_id / snapshot_id).
    .addColumn('source_id', 'varchar(255)')
    .addColumn('volume_size', 'integer')
    .addColumn('guest_format', 'varchar(255)')
    .addColumn('disk_bus', 'varchar(255)')
    .addColumn('device_type', 'varchar(255)')
    .addColumn('volume_type', 'varchar(255)')
    .addColumn('tag', 'varchar(255)')
    .addUniqueConstraint('bdm2_instance_volume_uniq', ['instance_uuid', 'volume_id'])
    .addUniqueConstraint('bdm2_instance_device_uniq', ['instance_uuid', 'device_name'])
    .execute()),
  step('compute-bfv-bdm-copy', (db) => db.insertInto('block_device_mappings_v2').columns(OLD_COLUMNS)
    .expression(db.selectFrom('block_device_mappings').select(OLD_COLUMNS)).execute()),
  step('compute-bfv-bdm-drop-old', (db) => db.schema.dropTable('block_device_mappings').execute()),
  step('compute-bfv-bdm-rename', (db) => db.schema.alterTable('block_device_mappings_v2').renameTo('block_device_mappings').execute()),
];
