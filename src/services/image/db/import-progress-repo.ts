// Glance's import bookkeeping on the image itself: the task lock (`os_glance_import_task`: one import at a time) and
// the progress lists (`os_glance_importing_to_stores`, `os_glance_failed_import`: sorted, comma-separated store ids).
import { isForeignKeyViolation, isUniqueViolation } from '#lib/db/index.ts';
import type { ImageDb } from './tables.ts';

export const IMPORT_TASK = 'os_glance_import_task';
export const IMPORTING_TO_STORES = 'os_glance_importing_to_stores';
export const FAILED_IMPORT = 'os_glance_failed_import';

/**
 * Takes the image's import lock for `taskId`: `held` when another import holds it, `gone` when the image was deleted.
 * Atomic: the lock is a property row, and a second insert of it is a unique violation. The task's heartbeat row is
 * written with it.
 */
export async function acquireImportLock(db: ImageDb, imageId: string, taskId: string, at = new Date().toISOString()): Promise<'acquired' | 'held' | 'gone'> {
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('image_properties').values({ image_id: imageId, name: IMPORT_TASK, value: taskId }).execute();
      await trx.insertInto('image_import_tasks').values({ task_id: taskId, image_id: imageId, updated_at: at }).execute();
    });
    return 'acquired';
  } catch (err) {
    if (isUniqueViolation(err)) return 'held';
    if (isForeignKeyViolation(err)) return 'gone';
    throw err;
  }
}

/** Releases the lock if `taskId` still holds it, and ends the task's heartbeat. Idempotent. */
export async function releaseImportLock(db: ImageDb, imageId: string, taskId: string): Promise<void> {
  await db.deleteFrom('image_properties').where('image_id', '=', imageId).where('name', '=', IMPORT_TASK).where('value', '=', taskId).execute();
  await db.deleteFrom('image_import_tasks').where('task_id', '=', taskId).execute();
}

/** Records that `taskId` is alive. */
export async function touchImportTask(db: ImageDb, taskId: string, at: string): Promise<void> {
  await db.updateTable('image_import_tasks').set({ updated_at: at }).where('task_id', '=', taskId).execute();
}

/** The task holding the image's lock and its last heartbeat (none for a lock taken before heartbeats existed). */
export async function importLockHolder(db: ImageDb, imageId: string): Promise<{ taskId: string; beatAt?: string } | undefined> {
  const lock = await db.selectFrom('image_properties').select('value').where('image_id', '=', imageId).where('name', '=', IMPORT_TASK).executeTakeFirst();
  if (!lock) return undefined;
  const task = await db.selectFrom('image_import_tasks').select('updated_at').where('task_id', '=', lock.value).executeTakeFirst();
  return { taskId: lock.value, beatAt: task?.updated_at };
}

/** Takes the lock away from `taskId` (an expired holder): the stores it was importing to are listed as failed. */
export async function bustImportLock(db: ImageDb, imageId: string, taskId: string, at: string): Promise<void> {
  const importing = await db.selectFrom('image_properties').select('value').where('image_id', '=', imageId).where('name', '=', IMPORTING_TO_STORES).executeTakeFirst();
  const stores = [...parseList(importing?.value)];
  await updateImportProgress(db, imageId, { importing: { remove: stores }, failed: { add: stores } }, at);
  await releaseImportLock(db, imageId, taskId);
}

/** Stores to add to and remove from each progress list. */
export interface ProgressChange {
  importing?: { add?: readonly string[]; remove?: readonly string[] };
  failed?: { add?: readonly string[]; remove?: readonly string[] };
}

const parseList = (value: string | undefined): Set<string> => new Set((value ?? '').split(',').filter(Boolean));

/**
 * Applies `change` to the image's progress lists (both are written, empty when no store is listed, as Glance shows
 * them). Does nothing for an image that is gone.
 */
export async function updateImportProgress(db: ImageDb, imageId: string, change: ProgressChange, at: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const touched = await trx.updateTable('images').set({ updated_at: at }).where('id', '=', imageId).executeTakeFirst();
    if (Number(touched.numUpdatedRows) === 0) return;
    const rows = await trx.selectFrom('image_properties').select(['name', 'value']).where('image_id', '=', imageId)
      .where('name', 'in', [IMPORTING_TO_STORES, FAILED_IMPORT]).execute();
    const values: Record<string, string> = {};
    for (const [name, edit] of [[IMPORTING_TO_STORES, change.importing], [FAILED_IMPORT, change.failed]] as const) {
      const list = parseList(rows.find((r) => r.name === name)?.value);
      for (const store of edit?.add ?? []) list.add(store);
      for (const store of edit?.remove ?? []) list.delete(store);
      values[name] = [...list].sort().join(',');
    }
    await trx.deleteFrom('image_properties').where('image_id', '=', imageId).where('name', 'in', Object.keys(values)).execute();
    await trx.insertInto('image_properties').values(Object.entries(values).map(([name, value]) => ({ image_id: imageId, name, value }))).execute();
  });
}

/**
 * Releases the import locks a stopped process left behind; the stores it was importing to are listed as failed. Runs
 * at start (a single image API process per database is assumed, as for the other start-up repairs; with several,
 * locks expire through their heartbeat instead).
 */
export async function releaseStaleImportLocks(db: ImageDb, at: string): Promise<number> {
  const locked = await db.selectFrom('image_properties').select(['image_id', 'value']).where('name', '=', IMPORT_TASK).execute();
  for (const { image_id: imageId, value: taskId } of locked) await bustImportLock(db, imageId, taskId, at);
  return locked.length;
}
