// Makes a chunked backup from a volume's raw bytes: reads the volume one object-size chunk at a time (memory stays at
// one chunk plus the digest list, 32 bytes per block), digests every block, and stores the runs of blocks that differ
// from the parent's (an incremental) or from zeros (a full backup). The sha file and then the metadata object are
// written last; on any failure every object already written is removed.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { deflate, inflate } from 'node:zlib';
import type { RawVolumeReader } from '../drivers/volume-driver.ts';
import type { BackupStore } from './backup-store.ts';
import { FORMAT_VERSION, dataObjectName, metadataName, shaFileName, zeroBlockDigest } from './chunked-format.ts';
import type { BackupMetadata, BackupObject, Compression } from './chunked-format.ts';
import { deleteBackupObjects, readMetadata } from './backup-reader.ts';

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);
const DIGEST = 32;
/** Data objects compressed and stored at once (the two cores of a small host, or the thread pool's share). */
const PARALLEL = 2;

export interface ChunkSettings {
  /** Largest data object (Cinder's backup_swift_object_size); a multiple of blockSize. */
  objectSize: number;
  /** Block the sha file digests (Cinder's backup_swift_block_size / sha block size). */
  blockSize: number;
  compression: Compression;
}

export interface WriteBackupOptions {
  store: BackupStore;
  container: string;
  prefix: string;
  backupId: string;
  volumeId: string;
  /** The backup this one increments; null for a full backup. */
  parent: { id: string; container: string; prefix: string } | null;
  settings: ChunkSettings;
}

/** Reads `buffer.length` bytes at `position` or up to the end; resolves to the count. */
async function readFully(reader: RawVolumeReader, buffer: Buffer, position: number): Promise<number> {
  let got = 0;
  while (got < buffer.length) {
    const n = await reader.read(buffer.subarray(got), position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export async function readShaFile(store: BackupStore, container: string, prefix: string): Promise<Buffer> {
  return inflateAsync(await store.get(container, shaFileName(prefix)));
}

/** Writes the backup; resolves to the number of objects stored. Cleans up after itself on failure. */
export async function writeChunkedBackup(reader: RawVolumeReader, opts: WriteBackupOptions): Promise<{ objectCount: number }> {
  const { store, container, prefix, settings } = opts;
  const { blockSize, objectSize } = settings;
  if (objectSize % blockSize !== 0) throw new Error(`the backup object size ${objectSize} is not a multiple of the block size ${blockSize}`);
  // Objects are compressed (zlib, in the thread pool) and stored up to PARALLEL at a time while the next is read.
  const inflight = new Set<Promise<void>>();
  let failed: unknown;
  try {
    let parentShas: Buffer | undefined;
    if (opts.parent) {
      const parentMeta = await readMetadata(store, opts.parent.container, opts.parent.prefix);
      if (parentMeta.blockSize !== blockSize) throw new Error(`the parent backup ${opts.parent.id} uses ${parentMeta.blockSize}-byte blocks, not ${blockSize}`);
      parentShas = await readShaFile(store, opts.parent.container, opts.parent.prefix);
    }
    const zero = zeroBlockDigest(blockSize);
    const zeroBlock = Buffer.alloc(blockSize);
    const blocks = Math.ceil(reader.size / blockSize);
    const shas = Buffer.alloc(blocks * DIGEST);
    const objects: BackupObject[] = [];
    const chunk = Buffer.alloc(objectSize);

    const store1 = async (data: Buffer, offset: number) => {
      const index = objects.length;
      const name = dataObjectName(prefix, index + 1);
      objects.push({ name, offset, length: data.length, compression: settings.compression, sha256: createHash('sha256').update(data).digest('hex') });
      const work = (async () => {
        let stored = data;
        if (settings.compression === 'zlib') {
          const packed = await deflateAsync(data);
          // As Cinder's chunked driver: data that does not shrink is stored as it is.
          if (packed.length < data.length) stored = packed;
          else objects[index] = { ...objects[index], compression: 'none' };
        }
        await store.put(container, name, stored);
      })().catch((err: unknown) => { failed ??= err; });
      inflight.add(work);
      void work.finally(() => inflight.delete(work));
      while (inflight.size >= PARALLEL) await Promise.race(inflight);
      if (failed) throw failed;
    };

    for (let offset = 0; offset < reader.size; offset += objectSize) {
      const got = await readFully(reader, chunk.subarray(0, Math.min(objectSize, reader.size - offset)), offset);
      let runStart = -1;
      for (let at = 0; at < got; at += blockSize) {
        const block = chunk.subarray(at, Math.min(at + blockSize, got));
        const index = (offset + at) / blockSize;
        // A full block of zeros needs no hashing: its digest is known.
        const digest = block.length === blockSize && block.equals(zeroBlock) ? zero : createHash('sha256').update(block).digest();
        digest.copy(shas, index * DIGEST);
        const before = parentShas && index * DIGEST < parentShas.length ? parentShas.subarray(index * DIGEST, (index + 1) * DIGEST) : zero;
        const changed = !digest.equals(before);
        if (changed && runStart < 0) runStart = at;
        if (!changed && runStart >= 0) {
          // Copied out: the chunk buffer is reused for the next read.
          await store1(Buffer.from(chunk.subarray(runStart, at)), offset + runStart);
          runStart = -1;
        }
      }
      if (runStart >= 0) await store1(Buffer.from(chunk.subarray(runStart, got)), offset + runStart);
    }
    await Promise.all(inflight);
    if (failed) throw failed;
    await store.put(container, shaFileName(prefix), await deflateAsync(shas));
    const metadata: BackupMetadata = {
      version: FORMAT_VERSION, backupId: opts.backupId, volumeId: opts.volumeId, sizeBytes: reader.size, blockSize,
      createdAt: new Date().toISOString(), parent: opts.parent, objects,
    };
    await store.put(container, metadataName(prefix), Buffer.from(JSON.stringify(metadata)));
    return { objectCount: objects.length + 2 };
  } catch (err) {
    // Nothing may still be writing when the cleanup lists what to remove.
    await Promise.all(inflight);
    await deleteBackupObjects(store, container, prefix).catch(() => undefined);
    throw err;
  }
}
