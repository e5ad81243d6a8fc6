// Interoperable import with the `glance-direct` method: stage the data (PUT /stage: queued → uploading, into the
// staging store), then import it (POST /import: uploading → importing → active, into one or more stores). The first
// store receives the data through the upload pipeline, so the size cap, quotas, checksums and the disk format
// inspector apply; further stores get verified copies of the staged data. A failed import goes back to `uploading`
// with its staged data kept for a retry. The import completes before its 202.
import type { Readable } from 'node:stream';
import { Conflict, StratusError } from '#lib/errors.ts';
import type { Image, ImageLocation } from '../domain/image-model.ts';
import type { StoredData } from '../db/images-repo.ts';
import { activate, getImage, recordStaged, transition } from '../db/images-repo.ts';
import { updateImportProgress } from '../db/import-progress-repo.ts';
import type { ImageStore } from '../stores/store.ts';
import type { UploadDeps } from './upload.ts';
import { receiveImageData } from './upload.ts';
import { copyImageData } from './copy-data.ts';
import type { ImportLocks } from './import-lock.ts';

export interface ImportDeps extends UploadDeps {
  /** Where staged data waits for its import: never the image store, never served. */
  staging: ImageStore;
  locks: ImportLocks;
}

const now = (): string => new Date().toISOString();

/** Streams `source` into the staging store; the image ends `uploading` with its staged data, or back in `queued`. */
export async function stageImageData(deps: ImportDeps, image: Image, source: Readable, opts: { contentLength?: number }): Promise<Image> {
  return receiveImageData(deps, image, source, opts, {
    from: 'queued', via: 'uploading', back: 'queued', store: deps.staging,
    record: (data, at) => recordStaged(deps.db, image.id, data.locations[0].url, at),
  });
}

/** 409 unless the image has complete staged data to import. */
export function assertStaged(image: Image): void {
  if (image.status !== 'uploading' || !image.stagedLocation) {
    throw new Conflict(image.status === 'uploading'
      ? `Image ${image.id} is still being staged; import it once PUT /v2/images/${image.id}/stage has completed.`
      : `Image needs to be staged before 'glance-direct' method can be used (image ${image.id} is ${image.status}).`);
  }
}

/**
 * Imports the staged data of an `uploading` image into `targets` (in order) and removes the staged copy; 409 when
 * nothing complete is staged or another import holds the image. With `mustSucceed`, a store's failure fails the
 * import (the copies made are removed); without, the image becomes active with the stores that succeeded, the others
 * listed in os_glance_failed_import. Data the inspector or a quota refuses fails the import whatever the flag.
 */
export async function importStaged(deps: ImportDeps, image: Image, targets: ImageStore[], mustSucceed: boolean): Promise<Image> {
  assertStaged(image);
  const lock = await deps.locks.acquire(image.id);
  const ids = targets.map((t) => t.id);
  try {
    await updateImportProgress(deps.db, image.id, { importing: { add: ids }, failed: { remove: ids } }, now());
    const active = await importIntoStores(deps, image, targets, mustSucceed);
    await deps.staging.delete(image.stagedLocation!).catch((err: unknown) => deps.log.error({ err, imageId: image.id }, 'cannot remove staged image data'));
    return active;
  } finally {
    await lock.release();
  }
}

async function openStaged(deps: ImportDeps, image: Image): Promise<Readable> {
  try {
    return await deps.staging.open(image.stagedLocation!);
  } catch {
    throw new Conflict(`The staged data of image ${image.id} is missing; stage it again.`);
  }
}

async function importIntoStores(deps: ImportDeps, image: Image, targets: ImageStore[], mustSucceed: boolean): Promise<Image> {
  // What the first store received (set by the pipeline's record step), which further copies must match.
  const first: { data?: StoredData } = {};
  const made: ImageLocation[] = [];
  let lastError: unknown;
  for (const [i, target] of targets.entries()) {
    try {
      if (!first.data) {
        // The image moves uploading → importing and stays there until every store is done (or back on failure).
        await receiveImageData(deps, image, await openStaged(deps, image), {}, {
          from: 'uploading', via: 'importing', back: 'uploading', store: target,
          record: async (data) => { first.data = data; return true; },
        });
        made.push(...first.data!.locations);
      } else {
        made.push(await copyImageData({ imageId: image.id, source: await openStaged(deps, image), target, expect: first.data, log: deps.log }));
      }
      await updateImportProgress(deps.db, image.id, { importing: { remove: [target.id] } }, now());
    } catch (err) {
      lastError = err;
      if (!(err instanceof StratusError && err.status < 500)) deps.log.warn({ err: (err as Error).message, imageId: image.id, store: target.id }, 'import into a store failed');
      await updateImportProgress(deps.db, image.id, { importing: { remove: [target.id] }, failed: { add: [target.id] } }, now());
      // Data the inspector refused (400) or staged data gone (409) would fail in every store; with mustSucceed any
      // failure ends the import. A store's own limit (413) or outage lets the next store try.
      const refused = err instanceof StratusError && (err.status === 400 || err.status === 409) && !first.data;
      if (mustSucceed || refused) {
        await updateImportProgress(deps.db, image.id, { importing: { remove: targets.slice(i + 1).map((t) => t.id) } }, now());
        await undo(deps, image, made, first.data !== undefined);
        throw failure(image, err);
      }
    }
  }
  if (!first.data) throw failure(image, lastError);
  if (!(await activate(deps.db, image.id, { ...first.data, locations: made }, now(), 'importing'))) {
    await undo(deps, image, made, false);
    throw new StratusError(410, 'Gone', `Image ${image.id} could not be found after import. The image may have been deleted during the import.`);
  }
  return (await getImage(deps.db, image.id))!;
}

/** Removes the copies made; an image the pipeline left `importing` goes back to `uploading`, its staged data kept. */
async function undo(deps: ImportDeps, image: Image, made: ImageLocation[], importing: boolean): Promise<void> {
  for (const copy of made) {
    await deps.store.delete(copy.url).catch((err: unknown) => deps.log.error({ err, imageId: image.id, store: copy.store }, 'cannot remove an imported copy'));
  }
  if (importing) await transition(deps.db, image.id, 'importing', 'uploading', now());
}

function failure(image: Image, err: unknown): StratusError {
  if (err instanceof StratusError) return err;
  return new StratusError(500, 'InternalServerError', `Import of image ${image.id} failed; its staged data is kept, so the import can be retried.`);
}
