// The file store: image data under one directory, written to a temporary file and renamed into place only when the
// upload is complete and verified, so a crash or a failed upload never leaves partial data under an image's name.
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import type { ImageStore, PendingWrite } from '../store.ts';

/** Bytes the write stream buffers before it asks the upload to wait. */
const WRITE_BUFFER = 4 * 1024 * 1024;
/**
 * Bytes per read of a download: 1 MiB reads move about twice the data per second of the default 64 KiB on this kind
 * of machine (fewer syscalls and event-loop turns per byte); backpressure still holds a download to a few of them.
 */
const READ_CHUNK = 1024 * 1024;

const IMAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FileStoreOptions {
  /** Directory of the data; created if missing. Partial uploads live in its `.partial` subdirectory. */
  dir: string;
}

/**
 * Creates the store and removes partial uploads left by a process that stopped mid-upload. Files are named after
 * image ids (validated as UUIDs), never after anything else a client sends.
 */
export function createFileStore(opts: FileStoreOptions): ImageStore {
  const dir = resolve(opts.dir);
  const partialDir = join(dir, '.partial');
  mkdirSync(partialDir, { recursive: true, mode: 0o700 });
  for (const leftover of readdirSync(partialDir)) rmSync(join(partialDir, leftover), { force: true });

  const pathOf = (location: string): string => {
    const path = resolve(fileURLToPath(location));
    if (!path.startsWith(dir + sep) || path.startsWith(partialDir + sep)) throw new Error(`location ${location} is outside the file store`);
    return path;
  };

  return {
    id: 'file',
    description: 'Image data on this host\'s file system.',
    // Reads stream in fs.ReadStream's 64 KiB chunks; files are written whole (no sparse holes).
    detail: () => ({ type: 'file', properties: { data_dir: dir, chunk_size: 65536, thin_provisioning: false } }),
    owns: (location) => location.startsWith(pathToFileURL(dir).href + '/'),
    async begin(imageId) {
      if (!IMAGE_ID.test(imageId)) throw new Error(`not an image id: ${imageId}`);
      const partial = join(partialDir, `${imageId}.${randomBytes(6).toString('hex')}`);
      const final = join(dir, imageId);
      // flush: fsync before close, so a committed image survives a power cut. A few MiB of buffer (not the default
      // 16 KiB) let the upload go on reading and hashing while a write runs, and the chunks queued meanwhile go down
      // in one writev: one thread-pool round trip per batch instead of per 64 KiB socket read.
      const stream = createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true, highWaterMark: WRITE_BUFFER });
      let settled = false;
      const pending: PendingWrite = {
        stream,
        async commit() {
          settled = true;
          await rename(partial, final);
          return pathToFileURL(final).href;
        },
        async abort() {
          if (settled) return;
          settled = true;
          // Wait for the file to be open and closed again, so the removal cannot run before its creation.
          if (!stream.closed) {
            const closed = new Promise<void>((done) => stream.once('close', () => done()));
            stream.destroy();
            await closed;
          }
          await rm(partial, { force: true });
        },
      };
      return pending;
    },
    async open(location, range) {
      const path = pathOf(location);
      await stat(path);
      return createReadStream(path, { highWaterMark: READ_CHUNK, ...(range ? { start: range.start, end: range.end } : {}) }) as Readable;
    },
    async delete(location) {
      await rm(pathOf(location), { force: true });
    },
  };
}
