// An image's data in several stores: one location per store in image_locations, instead of the one `location` column,
// which keeps only staged data from now on. Two steps, as MySQL commits each DDL statement on its own.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

/** The store that wrote a location before stores were recorded: only the file and object-store stores existed. */
function storeOf(url: string): string | undefined {
  if (url.startsWith('file:')) return 'file';
  if (url.startsWith('swift+config:')) return 'object-store';
  return undefined;
}

const createTable: Migration = {
  name: 'image-002-locations',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('image_locations')
      .addColumn('image_id', 'varchar(64)', (c) => c.notNull().references('images.id').onDelete('cascade'))
      .addColumn('store', 'varchar(64)', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_locations_pk', ['image_id', 'store']).execute();
  },
};

const moveLocations: Migration = {
  name: 'image-003-move-locations',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
  async up(db: Kysely<any>): Promise<void> {
    // Data of images past their upload (staged data stays where it is: `uploading` and `importing` images).
    const rows = await db.selectFrom('images').select(['id', 'location']).where('location', 'is not', null)
      .where('status', 'not in', ['uploading', 'importing']).execute() as { id: string; location: string }[];
    for (const row of rows) {
      const store = storeOf(row.location);
      if (!store) continue;
      await db.insertInto('image_locations').values({ image_id: row.id, store, url: row.location, position: 0 }).execute();
      await db.updateTable('images').set({ location: null }).where('id', '=', row.id).execute();
    }
  },
};

export const locationsMigrations: Migration[] = [createTable, moveLocations];
