// The heartbeat of each running import task, so that a lock whose task stopped beating (its process died, or hangs)
// expires instead of blocking imports of its image for good.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

const createTable: Migration = {
  name: 'image-004-import-tasks',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('image_import_tasks')
      .addColumn('task_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('image_id', 'varchar(64)', (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('updated_at', 'varchar(64)', (c) => c.notNull()).execute();
  },
};

export const importTasksMigrations: Migration[] = [createTable];
