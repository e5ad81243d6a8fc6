// The `copy-image` import method: copies an active image's data into further stores in the background (the request
// is answered 202 once the copy is locked in and its progress recorded), as Glance's copy-image task does. The image
// stays active throughout; os_glance_importing_to_stores lists the stores still to copy into and
// os_glance_failed_import the ones that failed. With all_stores_must_succeed (the default) one failure removes the
// copies this import made; without it, each store succeeds or fails on its own.
import { BadRequest, Conflict } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { Image, ImageLocation } from '../domain/image-model.ts';
import type { ImportRequest } from '../domain/import-request.ts';
import type { ImageDb } from '../db/tables.ts';
import { getImage } from '../db/images-repo.ts';
import { addLocation, removeLocation } from '../db/locations-repo.ts';
import { updateImportProgress } from '../db/import-progress-repo.ts';
import type { StoreSet } from '../stores/store-set.ts';
import type { ImageStore } from '../stores/store.ts';
import { copyImageData } from './copy-data.ts';
import type { ImportLocks } from './import-lock.ts';
import type { ImportTasks } from './import-tasks.ts';

export interface CopyImageDeps {
  db: ImageDb;
  store: StoreSet;
  tasks: ImportTasks;
  locks: ImportLocks;
  log: Logger;
}

const now = (): string => new Date().toISOString();

/** 409 unless the image is active: only an image with data can be copied (Glance's precondition). */
export function assertCopyable(image: Image): void {
  if (image.status !== 'active') throw new Conflict(`Only images with status active can be targeted for copying (image ${image.id} is ${image.status}).`);
}

/**
 * Starts copying `image` into the request's stores: for `all_stores`, the stores already holding it are skipped (and
 * nothing happens when every store does); a store named explicitly that already holds it is a 400. Takes the import
 * lock (409 while another import runs) and records the stores as importing before it returns; the copy runs on in
 * `deps.tasks` and releases the lock when it ends, however it ends.
 */
export async function startCopyImage(deps: CopyImageDeps, image: Image, request: ImportRequest): Promise<void> {
  assertCopyable(image);
  const holding = new Set(image.locations.map((l) => l.store));
  let targets = request.stores;
  if (request.allStores) targets = targets.filter((id) => !holding.has(id));
  else {
    const present = targets.find((id) => holding.has(id));
    if (present !== undefined) throw new BadRequest(`Image is already present at store '${present}'.`);
  }
  if (targets.length === 0) return;
  const stores = targets.map((id) => deps.store.byId(id)!);
  const lock = await deps.locks.acquire(image.id);
  try {
    await updateImportProgress(deps.db, image.id, { importing: { add: targets }, failed: { remove: targets } }, now());
  } catch (err) {
    await lock.release();
    throw err;
  }
  deps.tasks.start(image.id, async (signal) => {
    try {
      await copyIntoStores(deps, image.id, stores, request.mustSucceed, signal);
    } finally {
      await lock.release();
    }
  });
}

/** Copies into each store in turn, recording each outcome; never rejects for a store's failure. */
async function copyIntoStores(deps: CopyImageDeps, imageId: string, stores: ImageStore[], mustSucceed: boolean, signal: AbortSignal): Promise<void> {
  const made: ImageLocation[] = [];
  for (const [i, target] of stores.entries()) {
    try {
      signal.throwIfAborted();
      const image = await getImage(deps.db, imageId);
      if (!image || (image.status !== 'active' && image.status !== 'deactivated')) throw new Error(`image ${imageId} is ${image?.status ?? 'deleted'}`);
      const { stream, skipped } = await deps.store.openFirst(image.locations);
      for (const s of skipped) deps.log.warn({ err: s.error, imageId, store: s.location.store }, 'image copy unreadable; reading the next one');
      const copy = await copyImageData({ imageId, source: stream, target, expect: { ...image, size: image.size ?? 0 }, signal, log: deps.log });
      if (!(await addLocation(deps.db, imageId, copy, now()))) {
        await target.delete(copy.url);
        throw new Error(`image ${imageId} was deleted or deactivated during the copy`);
      }
      made.push(copy);
      await updateImportProgress(deps.db, imageId, { importing: { remove: [target.id] } }, now());
    } catch (err) {
      deps.log.warn({ err: (err as Error).message, imageId, store: target.id }, 'copy-image into a store failed');
      if (!mustSucceed) {
        await updateImportProgress(deps.db, imageId, { importing: { remove: [target.id] }, failed: { add: [target.id] } }, now());
        continue;
      }
      // One store failed and all had to succeed: the copies this import made go, the image is as it was.
      await undoCopies(deps, imageId, made);
      const untried = stores.slice(i).map((s) => s.id);
      await updateImportProgress(deps.db, imageId, { importing: { remove: [...untried, ...made.map((m) => m.store)] }, failed: { add: [target.id] } }, now());
      return;
    }
  }
}

/** Removes the copies `made` from the image and their data; a copy that became the last one is kept. */
async function undoCopies(deps: CopyImageDeps, imageId: string, made: ImageLocation[]): Promise<void> {
  for (const copy of made) {
    const outcome = await removeLocation(deps.db, imageId, copy.store, now(), ['active', 'deactivated']);
    // A deleted image's copies are this import's to remove; a copy that became the image's only one stays.
    if ('refused' in outcome && outcome.refused !== 'gone') {
      deps.log.warn({ imageId, store: copy.store, refused: outcome.refused }, 'image copy kept while undoing a failed copy-image');
      continue;
    }
    await deps.store.byId(copy.store)?.delete(copy.url).catch((err: unknown) => deps.log.error({ err, imageId, store: copy.store }, 'cannot delete an undone image copy'));
  }
}
