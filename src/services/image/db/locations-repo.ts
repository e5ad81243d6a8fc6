// The copies of an image's data, one per store: adding a copy to an image that is still there, and removing one copy
// but never the last, each in one transaction that first touches the image row, so concurrent changes to one image's
// copies take turns (a row lock on PostgreSQL and MariaDB, the single writer on SQLite).
import type { ImageLocation } from '../domain/image-model.ts';
import type { ImageDb } from './tables.ts';

/**
 * Adds `location` after the image's other copies, only while the image is active (or deactivated); answers whether it
 * did. A second copy in the same store is a unique violation (the caller holds the import lock, so it never races).
 */
export async function addLocation(db: ImageDb, imageId: string, location: ImageLocation, at: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const touched = await trx.updateTable('images').set({ updated_at: at }).where('id', '=', imageId)
      .where('status', 'in', ['active', 'deactivated']).executeTakeFirst();
    if (Number(touched.numUpdatedRows) === 0) return false;
    const last = await trx.selectFrom('image_locations').select((eb) => eb.fn.max<number | string | null>('position').as('position'))
      .where('image_id', '=', imageId).executeTakeFirst();
    const position = last?.position === null || last?.position === undefined ? 0 : Number(last.position) + 1;
    await trx.insertInto('image_locations').values({ image_id: imageId, store: location.store, url: location.url, position }).execute();
    return true;
  });
}

/** What removeLocation did: the copy it removed, or why it removed nothing. */
export type LocationRemoval = { removed: ImageLocation } | { refused: 'gone' | 'inactive' | 'absent' | 'last' };

/**
 * Removes the image's copy in `store` from its record, unless the image is gone, not in one of `statuses`
 * (`inactive`), holds no copy there (`absent`) or holds only that one (`last`). The caller deletes the removed copy's data.
 */
export async function removeLocation(db: ImageDb, imageId: string, store: string, at: string, statuses: readonly string[] = ['active']): Promise<LocationRemoval> {
  return db.transaction().execute(async (trx): Promise<LocationRemoval> => {
    const touched = await trx.updateTable('images').set({ updated_at: at }).where('id', '=', imageId).executeTakeFirst();
    if (Number(touched.numUpdatedRows) === 0) return { refused: 'gone' };
    const image = await trx.selectFrom('images').select('status').where('id', '=', imageId).executeTakeFirstOrThrow();
    if (!statuses.includes(image.status)) return { refused: 'inactive' };
    const copies = await trx.selectFrom('image_locations').select(['store', 'url']).where('image_id', '=', imageId).execute();
    const copy = copies.find((c) => c.store === store);
    if (!copy) return { refused: 'absent' };
    if (copies.length === 1) return { refused: 'last' };
    await trx.deleteFrom('image_locations').where('image_id', '=', imageId).where('store', '=', store).execute();
    return { removed: { store: copy.store, url: copy.url } };
  });
}

/**
 * Deletes the image record and answers the copies it had (undefined when there was no such image), in one transaction,
 * so a copy added concurrently is either among them or refused (addLocation finds no image).
 */
export async function deleteImageWithLocations(db: ImageDb, imageId: string): Promise<ImageLocation[] | undefined> {
  return db.transaction().execute(async (trx) => {
    const touched = await trx.updateTable('images').set({ status: 'deleted' }).where('id', '=', imageId).executeTakeFirst();
    if (Number(touched.numUpdatedRows) === 0) return undefined;
    const copies = await trx.selectFrom('image_locations').select(['store', 'url']).where('image_id', '=', imageId).orderBy('position').execute();
    await trx.deleteFrom('images').where('id', '=', imageId).execute();
    return copies.map((c) => ({ store: c.store, url: c.url }));
  });
}
