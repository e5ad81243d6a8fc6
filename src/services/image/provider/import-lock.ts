// The import lock as the API sees it: one import per image at a time (Glance's os_glance_import_task), with Glance's
// answer to a second one.
import { randomUUID } from 'node:crypto';
import { Conflict } from '#lib/errors.ts';
import type { ImageDb } from '../db/tables.ts';
import { acquireImportLock } from '../db/import-progress-repo.ts';
import { imageNotFound } from '../domain/errors.ts';

/** Takes the lock for a new import task and returns the task id; 409 while another import runs, 404 once the image is gone. */
export async function lockForImport(db: ImageDb, imageId: string): Promise<string> {
  const taskId = randomUUID();
  const outcome = await acquireImportLock(db, imageId, taskId);
  if (outcome === 'held') throw new Conflict(`New operation on image '${imageId}' is not permitted as prior operation is still in progress.`);
  if (outcome === 'gone') throw imageNotFound(imageId);
  return taskId;
}
