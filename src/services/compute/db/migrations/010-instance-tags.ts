// Nova's server tags (2.26): simple strings on a server, at most 50, filtered on by server lists. One row per tag.
import type { Migration } from '#lib/db/index.ts';

export const instanceTags: Migration = {
  name: 'compute-instance-tags',
  async up(db) {
    await db.schema.createTable('instance_tags')
      .addColumn('instance_uuid', 'varchar(64)', (c) => c.notNull())
      .addColumn('tag', 'varchar(60)', (c) => c.notNull())
      .addPrimaryKeyConstraint('instance_tags_pk', ['instance_uuid', 'tag'])
      .execute();
    await db.schema.createIndex('instance_tags_tag').on('instance_tags').column('tag').execute();
  },
};
