// The image cache, `<instances>/_base/<image id>`: each image downloaded once per host (concurrent spawns share the
// download), verified against what Image reported and inspected before any guest uses it, then shared read-only by
// the qcow2 overlays of its instances. Bases no instance used for a while are pruned.
import { createHash, getHashes, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequest } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { ImageSource } from '../hypervisor-driver.ts';
import { checkImageBytes } from './disks.ts';
import type { DiskTool, ImageInfo } from './disks.ts';

export interface CachedImage extends ImageInfo {
  path: string;
}

export interface ImageCache {
  /** The verified base of `image`, downloading it when this host has none; marks it used now. */
  fetch(image: ImageSource, signal?: AbortSignal): Promise<CachedImage>;
  /** Removes bases older than the unused period that no instance in `inUse` needs; returns the removed image ids. */
  prune(inUse: Set<string>): Promise<string[]>;
}

const IMAGE_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/** Streams through, hashing what passes. */
function hashing(algos: string[]): { transform: Transform; digests(): string[] } {
  const hashes = algos.map((a) => createHash(a));
  const transform = new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (const h of hashes) h.update(chunk);
      done(null, chunk);
    },
  });
  return { transform, digests: () => hashes.map((h) => h.digest('hex')) };
}

export function createImageCache(opts: { dir: string; disks: DiskTool; unusedSeconds: number; log: Logger }): ImageCache {
  const inFlight = new Map<string, Promise<CachedImage>>();
  // What qemu-img said of each base, once per process.
  const known = new Map<string, CachedImage>();

  async function download(image: ImageSource, path: string, signal?: AbortSignal): Promise<CachedImage> {
    if (image.hashAlgo && !getHashes().includes(image.hashAlgo)) throw new BadRequest(`Image ${image.id} has a hash algorithm this host cannot check: ${image.hashAlgo}.`);
    const algos = ['md5', ...(image.hashAlgo && image.hashValue ? [image.hashAlgo] : [])];
    const tmp = `${path}.part-${randomBytes(4).toString('hex')}`;
    try {
      const started = Date.now();
      const h = hashing(algos);
      await pipeline(await image.open(), h.transform, createWriteStream(tmp, { mode: 0o644 }), ...(signal ? [{ signal }] : []));
      const [md5, multihash] = h.digests();
      if (image.checksum && md5 !== image.checksum.toLowerCase()) throw new BadRequest(`Image ${image.id}'s data does not match its checksum (MD5 ${md5}, Image said ${image.checksum}).`);
      if (multihash && multihash !== image.hashValue!.toLowerCase()) throw new BadRequest(`Image ${image.id}'s data does not match its ${image.hashAlgo} hash.`);
      const size = (await stat(tmp)).size;
      if (image.size !== null && size !== image.size) throw new BadRequest(`Image ${image.id} downloaded ${size} bytes, Image said ${image.size}.`);
      await checkImageBytes(tmp, image.diskFormat);
      const info = await opts.disks.info(tmp, image.diskFormat!);
      await rename(tmp, path);
      opts.log.info({ image: image.id, bytes: size, ms: Date.now() - started }, 'image cached');
      return { ...info, path };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  return {
    async fetch(image, signal) {
      if (!IMAGE_ID.test(image.id)) throw new BadRequest(`'${image.id}' is not an image id.`);
      const path = join(opts.dir, image.id);
      await mkdir(opts.dir, { recursive: true });
      const have = await stat(path).then(() => true, () => false);
      if (have) {
        await utimes(path, new Date(), new Date());
        let info = known.get(image.id);
        if (!info) {
          await checkImageBytes(path, image.diskFormat);
          info = { ...await opts.disks.info(path, image.diskFormat!), path };
          known.set(image.id, info);
        }
        if (info.format !== image.diskFormat) throw new BadRequest(`Image ${image.id} is cached as ${info.format}, but Image says ${image.diskFormat}.`);
        return info;
      }
      let shared = inFlight.get(image.id);
      if (!shared) {
        // One download per image, whoever asked first; the others wait for it (not for the first one's signal).
        shared = download(image, path).finally(() => inFlight.delete(image.id));
        inFlight.set(image.id, shared);
      }
      const info = await (signal ? Promise.race([shared, new Promise<never>((_, fail) => signal.addEventListener('abort', () => fail(signal.reason), { once: true }))]) : shared);
      known.set(image.id, info);
      return info;
    },
    async prune(inUse) {
      const cutoff = Date.now() - opts.unusedSeconds * 1000;
      const removed: string[] = [];
      const names = await readdir(opts.dir).catch(() => [] as string[]);
      for (const name of names) {
        // A `.part-` file left by a crashed download goes once it is as old as an unused base.
        const partial = /^(.+)\.part-[0-9a-f]+$/.exec(name);
        const id = partial ? partial[1] : name;
        if (!IMAGE_ID.test(id) || (!partial && (inUse.has(id) || inFlight.has(id)))) continue;
        const s = await stat(join(opts.dir, name)).catch(() => undefined);
        if (!s || s.mtimeMs > cutoff) continue;
        await rm(join(opts.dir, name), { force: true });
        if (partial) continue;
        known.delete(name);
        removed.push(name);
      }
      if (removed.length) opts.log.info({ images: removed }, 'pruned unused images from the cache');
      return removed;
    },
  };
}
