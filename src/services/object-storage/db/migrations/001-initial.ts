// Object Storage's first schema: accounts (metadata), containers (metadata, ACLs, stats) and the object listings.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';
import { containerSysmeta } from './002-container-sysmeta.ts';

const ts = 'varchar(32)';

const initial: Migration = {
  name: 'object-storage-001-initial',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('accounts')
      .addColumn('account', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('meta', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createTable('containers')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('put_timestamp', ts, (c) => c.notNull())
      .addColumn('meta', 'text', (c) => c.notNull())
      .addColumn('read_acl', 'text')
      .addColumn('write_acl', 'text')
      .addColumn('object_count', 'bigint', (c) => c.notNull())
      .addColumn('bytes_used', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('containers_account_name_uniq', ['account', 'name'])
      .execute();
    await db.schema.createTable('object_listings')
      .addColumn('container_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('name_head', 'varchar(200)', (c) => c.notNull())
      .addColumn('name_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('timestamp', ts, (c) => c.notNull())
      .addColumn('etag', 'varchar(64)', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('content_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('last_modified', ts, (c) => c.notNull())
      .addColumn('delete_at', 'bigint')
      .addPrimaryKeyConstraint('object_listings_pk', ['container_id', 'name_hash'])
      .execute();
    await db.schema.createIndex('object_listings_container_head_idx').on('object_listings').columns(['container_id', 'name_head']).execute();
    await db.schema.createIndex('object_listings_delete_at_idx').on('object_listings').column('delete_at').execute();
  },
};

export const objectStorageMigrations: Migration[] = [initial, containerSysmeta];
