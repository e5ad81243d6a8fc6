// Containers gain system metadata: settings the proxy's middlewares keep for a container (the versioning archive
// and mode) that, unlike X-Container-Meta-*, users only change through their own headers and never see as meta.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

export const containerSysmeta: Migration = {
  name: 'object-storage-002-container-sysmeta',
  // varchar rather than text: MySQL refuses a default on a text column. It holds a container name and a mode.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('containers').addColumn('sysmeta', 'varchar(2048)', (c) => c.notNull().defaultTo('{}')).execute();
  },
};
