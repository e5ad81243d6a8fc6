// Copying an image's data into one more store: streamed from a source (another store's copy, or staged data) with the
// pipeline's backpressure, and verified on the way against the image's own size, MD5 and SHA-512, so a copy that is
// not the image's data is never committed.
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '#lib/log.ts';
import type { ImageLocation } from '../domain/image-model.ts';
import type { ImageStore } from '../stores/store.ts';
import { createBufferReclaimer } from './buffer-reclaim.ts';
import { tooLargeForStore } from './quota.ts';

/** What the copied bytes must be: the image's recorded size and hashes. */
export interface ExpectedData {
  size: number;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
}

export interface CopyOptions {
  imageId: string;
  source: Readable;
  target: ImageStore;
  expect: ExpectedData;
  /** Stops the copy (the image was deleted, the service is stopping); the partial copy is removed. */
  signal?: AbortSignal;
  log: Logger;
}

/**
 * Writes `source` into `target` as the image's data and returns the committed copy's location. Rejects (with the
 * reason) when the store cannot hold the image, the copy is cut off, or the bytes are not the image's; the partial
 * copy is then removed and `source` destroyed. The caller records the location (or deletes it).
 */
export async function copyImageData(opts: CopyOptions): Promise<ImageLocation> {
  const { target, expect, source } = opts;
  const md5 = createHash('md5');
  const hash = expect.osHashAlgo && expect.osHashValue ? createHash(expect.osHashAlgo) : undefined;
  let bytes = 0;
  const reclaimer = createBufferReclaimer();
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      reclaimer.add(chunk.length);
      bytes += chunk.length;
      // More bytes than the image has: stop now rather than fill the store.
      if (bytes > expect.size) return done(new Error(`the data read is longer than the image's ${expect.size} bytes`));
      md5.update(chunk);
      hash?.update(chunk);
      done(null, chunk);
    },
  });
  let pending: Awaited<ReturnType<ImageStore['begin']>> | undefined;
  try {
    const max = target.maxImageSize ? await target.maxImageSize() : Infinity;
    if (expect.size > max) throw tooLargeForStore(target.id, max);
    pending = await target.begin(opts.imageId);
    await (opts.signal ? pipeline(source, meter, pending.stream, { signal: opts.signal }) : pipeline(source, meter, pending.stream));
    if (bytes !== expect.size) throw new Error(`the data read has ${bytes} bytes, not the image's ${expect.size}`);
    if (expect.checksum && md5.digest('hex') !== expect.checksum) throw new Error('the data read does not match the image\'s checksum');
    if (hash && hash.digest('hex') !== expect.osHashValue) throw new Error(`the data read does not match the image's ${expect.osHashAlgo} hash`);
    return { store: target.id, url: await pending.commit() };
  } catch (err) {
    source.destroy();
    await pending?.abort().catch((e: unknown) => opts.log.error({ err: e, imageId: opts.imageId, store: target.id }, 'cannot remove a partial image copy'));
    throw err;
  }
}
