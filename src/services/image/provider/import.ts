// Interoperable import with the `glance-direct` method: stage the data (PUT /stage: queued → uploading, into the
// staging store), then import it (POST /import: uploading → importing → active, into the image store). Both legs go
// through the upload pipeline, so the size cap, quotas, checksums and the disk format inspector apply to each, and a
// failed leg leaves nothing half-written: a failed stage goes back to `queued`, a failed import back to `uploading`
// with its staged data kept for a retry.
import type { Readable } from 'node:stream';
import { BadRequest, Conflict, StratusError } from '#lib/errors.ts';
import type { Image } from '../domain/image-model.ts';
import { activate, recordStaged, setServiceProperties } from '../db/images-repo.ts';
import type { ImageStore } from '../stores/store.ts';
import type { UploadDeps } from './upload.ts';
import { receiveImageData } from './upload.ts';

/** The import methods this site offers, as /v2/info/import lists them. */
export const IMPORT_METHODS = ['glance-direct'] as const;

export interface ImportDeps extends UploadDeps {
  /** Where staged data waits for its import: never the image store, never served. */
  staging: ImageStore;
}

const now = (): string => new Date().toISOString();

/** Streams `source` into the staging store; the image ends `uploading` with its staged data, or back in `queued`. */
export async function stageImageData(deps: ImportDeps, image: Image, source: Readable, opts: { contentLength?: number }): Promise<Image> {
  return receiveImageData(deps, image, source, opts, {
    from: 'queued', via: 'uploading', back: 'queued', store: deps.staging,
    record: (data, at) => recordStaged(deps.db, image.id, data.location, at),
  });
}

/**
 * Checks the body of POST /import and answers the method to run; 400 for a missing or unknown method and for the
 * methods this site cannot offer (with the reason), as Glance answers methods it has not enabled.
 */
export function importMethod(body: unknown): 'glance-direct' {
  const name = (body as { method?: { name?: unknown } } | null | undefined)?.method?.name;
  if (typeof name !== 'string') throw new BadRequest('The import request needs a method: {"method": {"name": "glance-direct"}}.');
  if (name === 'glance-direct') return name;
  if (name === 'web-download') {
    throw new BadRequest('Import method \'web-download\' is not available at this site: this cloud has no outbound network access. Stage the data with PUT /v2/images/{image_id}/stage and import it with \'glance-direct\', or upload it with PUT /v2/images/{image_id}/file.');
  }
  if (name === 'copy-image') {
    throw new BadRequest('Import method \'copy-image\' is not available at this site: it copies image data into further stores, and each image here lives in a single store (the default store when its data arrived).');
  }
  throw new BadRequest(`Unknown import method name '${name}'. Available import methods: ${IMPORT_METHODS.join(', ')}.`);
}

/**
 * Imports the staged data of an `uploading` image into `target` (the default store unless the request named one;
 * re-inspected and re-hashed on the way) and
 * removes the staged copy; 409 when nothing complete is staged. The image ends `active`, or back in `uploading`.
 */
export async function importStaged(deps: ImportDeps, image: Image, target: ImageStore = deps.store): Promise<Image> {
  const staged = image.location;
  if (image.status !== 'uploading' || !staged) {
    throw new Conflict(image.status === 'uploading'
      ? `Image ${image.id} is still being staged; import it once PUT /v2/images/${image.id}/stage has completed.`
      : `Image needs to be staged before 'glance-direct' method can be used (image ${image.id} is ${image.status}).`);
  }
  const store = target.id;
  await setServiceProperties(deps.db, image.id, { os_glance_importing_to_stores: store, os_glance_failed_import: '' }, now());
  let source: Readable;
  try {
    source = await deps.staging.open(staged);
  } catch {
    throw new Conflict(`The staged data of image ${image.id} is missing; stage it again.`);
  }
  try {
    const active = await receiveImageData(deps, image, source, {}, {
      from: 'uploading', via: 'importing', back: 'uploading', store: target,
      record: (data, at) => activate(deps.db, image.id, data, at, 'importing'),
    });
    await setServiceProperties(deps.db, image.id, { os_glance_importing_to_stores: '', os_glance_failed_import: '' }, now());
    await deps.staging.delete(staged).catch((err: unknown) => deps.log.error({ err, imageId: image.id }, 'cannot remove staged image data'));
    return active;
  } catch (err) {
    source.destroy();
    await setServiceProperties(deps.db, image.id, { os_glance_importing_to_stores: '', os_glance_failed_import: store }, now())
      .catch((e: unknown) => deps.log.error({ err: e, imageId: image.id }, 'cannot record the failed import'));
    if (err instanceof StratusError) throw err;
    throw new StratusError(500, 'InternalServerError', `Import of image ${image.id} failed; its staged data is kept, so the import can be retried.`);
  }
}
