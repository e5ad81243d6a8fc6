// The Image service's first schema: images, their custom properties, tags and members.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

const id = 'varchar(64)';
const ts = 'varchar(32)';

const initial: Migration = {
  name: 'image-001-initial',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('images')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)')
      .addColumn('owner', id)
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('visibility', 'varchar(16)', (c) => c.notNull())
      .addColumn('disk_format', 'varchar(16)')
      .addColumn('container_format', 'varchar(16)')
      .addColumn('size', 'bigint')
      .addColumn('virtual_size', 'bigint')
      .addColumn('checksum', 'varchar(32)')
      .addColumn('os_hash_algo', 'varchar(64)')
      .addColumn('os_hash_value', 'varchar(128)')
      .addColumn('min_disk', 'integer', (c) => c.notNull())
      .addColumn('min_ram', 'integer', (c) => c.notNull())
      .addColumn('protected', 'boolean', (c) => c.notNull())
      .addColumn('os_hidden', 'boolean', (c) => c.notNull())
      .addColumn('location', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('images_owner_idx').on('images').column('owner').execute();
    await db.schema.createIndex('images_visibility_idx').on('images').column('visibility').execute();
    await db.schema.createTable('image_properties')
      .addColumn('image_id', id, (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'name']).execute();
    await db.schema.createTable('image_tags')
      .addColumn('image_id', id, (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_tags_pk', ['image_id', 'value']).execute();
    await db.schema.createTable('image_members')
      .addColumn('image_id', id, (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('member', 'varchar(255)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('image_members_pk', ['image_id', 'member']).execute();
    await db.schema.createIndex('image_members_member_idx').on('image_members').column('member').execute();
  },
};

export const imageMigrations: Migration[] = [initial];
