// Receiving an image's data: stream it into the store while computing MD5, SHA-512, size and the real disk format,
// enforce the size cap and quota as bytes arrive, and make the image active only when everything checks out.
// On any failure the partial data is removed and the image goes back to `queued`, as Glance does.
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequest, StratusError } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { Image, ImageStatus } from '../domain/image-model.ts';
import { badTransition } from '../domain/errors.ts';
import { createFormatInspector, formatRefusal } from '../domain/format-inspector.ts';
import type { Inspection } from '../domain/format-inspector.ts';
import type { ImageDb } from '../db/tables.ts';
import { activate, getImage, storedBytes, transition } from '../db/images-repo.ts';
import type { StoredData } from '../db/images-repo.ts';
import type { ImageStore, PendingWrite } from '../stores/store.ts';
import type { InflightTracker, QuotaLimits } from './quota.ts';
import { sizeCapExceeded, storageQuotaExceeded, tooLargeForStore, usedBytes } from './quota.ts';
import { createBufferReclaimer } from './buffer-reclaim.ts';

/** After a refusal the rest of the body is read and dropped up to this much, so the client gets the error. */
const DRAIN_LIMIT = 16 * 1024 * 1024;
/** Container formats holding an archive rather than a disk: their bytes are not a disk image to inspect. */
const ARCHIVES = new Set(['ova', 'docker', 'compressed']);

export interface UploadDeps {
  db: ImageDb;
  store: ImageStore;
  limits: QuotaLimits;
  inflight: InflightTracker;
  log: Logger;
}

const now = (): string => new Date().toISOString();

/**
 * Uploads `source` as the data of `image` (which the caller found and authorized) and returns the active image.
 * 409 unless the image is queued, 400 without disk and container formats or when the data is refused, 413 over
 * quota or cap. Never leaves partial data behind; the image ends `active`, or back in `queued`. The data goes to
 * `opts.store` when given (X-Image-Meta-Store), else to the default store.
 */
export async function uploadImageData(deps: UploadDeps, image: Image, source: Readable, opts: { contentLength?: number; store?: ImageStore }): Promise<Image> {
  return receiveImageData(deps, image, source, opts, {
    from: 'queued', via: 'saving', back: 'queued', store: opts.store ?? deps.store,
    record: (data, at) => activate(deps.db, image.id, data, at, 'saving'),
  });
}

/**
 * Where received data goes and what the image becomes: the image moves `from` → `via` while the data streams into
 * `store`, `record` saves the verified data (false when the image is gone or moved on), and a failure moves it to `back`.
 */
export interface ReceivePlan {
  from: ImageStatus;
  via: ImageStatus;
  back: ImageStatus;
  store: ImageStore;
  record(data: StoredData, at: string): Promise<boolean>;
}

/**
 * Streams `source` into `plan.store` under the rules of an upload (size cap, quota, checksums, disk format inspection)
 * and records it; the shared path of upload, stage and import. Never leaves partial data behind.
 */
export async function receiveImageData(deps: UploadDeps, image: Image, source: Readable, opts: { contentLength?: number }, plan: ReceivePlan): Promise<Image> {
  const { from, via, back } = plan;
  if (image.status !== from) throw badTransition(image.status, via);
  if (!image.diskFormat || !image.containerFormat) throw new BadRequest('Properties disk_format, container_format must be set prior to saving data.');
  const owner = image.owner ?? '';
  const { limits } = deps;
  const committed = await usedBytes(deps.db, owner, deps.inflight);
  const tooLarge = await sizeLimit(plan.store, limits.imageSizeCap);
  if (opts.contentLength !== undefined) {
    if (opts.contentLength > tooLarge.cap) throw tooLarge.error();
    if (limits.imageSizeTotal >= 0 && committed + opts.contentLength > limits.imageSizeTotal) throw storageQuotaExceeded(owner, limits.imageSizeTotal, committed);
  }
  if (!(await transition(deps.db, image.id, from, via, now()))) {
    const current = await getImage(deps.db, image.id);
    throw badTransition(current?.status ?? 'deleted', via);
  }

  const upload = deps.inflight.start(owner);
  const inspect = !ARCHIVES.has(image.containerFormat);
  const inspector = createFormatInspector();
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  // Stored data is read once; uploads in flight (this one included) are added as their bytes arrive.
  const stored = await storedBytes(deps.db, owner);
  let stop: StratusError | undefined;
  let dropped = 0;
  let checkedHead = false;
  const reclaimer = createBufferReclaimer();

  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      reclaimer.add(chunk.length);
      if (stop) {
        dropped += chunk.length;
        return done(dropped > DRAIN_LIMIT ? stop : null);
      }
      upload.bytes += chunk.length;
      if (upload.bytes > tooLarge.cap) stop = tooLarge.error();
      else if (limits.imageSizeTotal >= 0 && stored + deps.inflight.bytes(owner) > limits.imageSizeTotal) {
        stop = storageQuotaExceeded(owner, limits.imageSizeTotal, stored + deps.inflight.bytes(owner) - upload.bytes);
      }
      if (inspect) {
        inspector.write(chunk);
        if (!checkedHead && inspector.settled) {
          checkedHead = true;
          stop ??= refusal(image.diskFormat!, inspector.finish(), true);
        }
      }
      if (stop) return done();
      md5.update(chunk);
      sha512.update(chunk);
      done(null, chunk);
    },
  });

  // Opened inside the try: a store that cannot start a write (Object Storage unreachable) sends the image back too.
  let pending: PendingWrite | undefined;
  try {
    pending = await plan.store.begin(image.id);
    await pipeline(source, meter, pending.stream);
    const inspection: Inspection | undefined = inspect ? inspector.finish() : undefined;
    if (!stop && inspection) stop = refusal(image.diskFormat, inspection, false);
    if (!stop && limits.imageSizeTotal >= 0) {
      const used = await usedBytes(deps.db, owner, deps.inflight, upload);
      if (used + upload.bytes > limits.imageSizeTotal) stop = storageQuotaExceeded(owner, limits.imageSizeTotal, used);
    }
    if (stop) throw stop;
    const location = await pending.commit();
    const recorded = await plan.record({
      size: upload.bytes, virtualSize: inspection?.virtualSize ?? null, checksum: md5.digest('hex'),
      osHashAlgo: 'sha512', osHashValue: sha512.digest('hex'), locations: [{ store: plan.store.id, url: location }],
    }, now());
    if (!recorded) {
      await plan.store.delete(location);
      throw new StratusError(410, 'Gone', `Image ${image.id} could not be found after upload. The image may have been deleted during the upload.`);
    }
    return (await getImage(deps.db, image.id))!;
  } catch (err) {
    await pending?.abort().catch((e: unknown) => deps.log.error({ err: e, imageId: image.id }, 'cannot remove partial image data'));
    await transition(deps.db, image.id, via, back, now());
    if (!(err instanceof StratusError)) deps.log.warn({ imageId: image.id, err: (err as Error).message }, `image data failed while ${via}; image back to ${back}`);
    throw err;
  } finally {
    upload.release();
  }
}

/**
 * The largest image this upload may store and the 413 for a larger one: the service's image_size_cap, or the store's
 * own limit when lower (an Object Storage object; segmented images are not supported).
 */
async function sizeLimit(store: ImageStore, imageSizeCap: number): Promise<{ cap: number; error(): StratusError }> {
  const storeMax = store.maxImageSize ? await store.maxImageSize() : Infinity;
  if (storeMax >= imageSizeCap) return { cap: imageSizeCap, error: () => sizeCapExceeded(imageSizeCap) };
  return {
    cap: storeMax,
    error: () => tooLargeForStore(store.id, storeMax),
  };
}

/** The refusal for an inspection, if any; early (on the head alone) a raw verdict may still become a fixed VHD. */
function refusal(diskFormat: string, inspection: Inspection, early: boolean): StratusError | undefined {
  if (early && inspection.problems.length === 0 && inspection.format === 'raw' && diskFormat === 'vhd') return undefined;
  const why = formatRefusal(diskFormat, inspection);
  return why ? new BadRequest(why) : undefined;
}
