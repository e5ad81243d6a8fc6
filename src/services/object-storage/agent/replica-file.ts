// A replica is one file, <timestamp>.data: the object's bytes, then its metadata as JSON, then a 12-byte footer (the
// JSON's length as uint32 BE and a magic). One file makes a PUT one create, write, fsync and rename, where a sidecar
// doubled that; Swift keeps the metadata in xattrs of the .data, which Node cannot reach without a native addon.
// Data directories written before kept a bare .data and a <timestamp>.meta.json sidecar; those are still read. A POST
// still writes its newer metadata to a sidecar, which wins over the footer's (the bytes' size and ETag must agree).
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { ObjectMetadata } from '../rpc/object-server.ts';

const MAGIC = Buffer.from('\0stratus', 'latin1');
const FOOTER = 4 + MAGIC.length;
/** The footer's size after the metadata JSON. */
export const FOOTER_BYTES = FOOTER;
/** A tail read large enough for the footer and the metadata of nearly every object. */
const TAIL_READ = 16 * 1024;

/** The file and the metadata disagree (or the footer is unreadable): the replica is corrupt. */
export class BadReplicaFile extends Error {}

/** What follows an object's bytes in its .data file. */
export function metadataTrailer(metadata: ObjectMetadata): Buffer {
  const json = Buffer.from(JSON.stringify(metadata));
  const footer = Buffer.allocUnsafe(FOOTER);
  footer.writeUInt32BE(json.length, 0);
  MAGIC.copy(footer, 4);
  return Buffer.concat([json, footer]);
}

/**
 * Reads up to `size` bytes at `position`. A replica file is never changed in place (written aside, then renamed), so a
 * short read is its end: one read, without a stat or a read that returns nothing.
 */
export async function readAt(fh: FileHandle, size: number, position: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(size);
  const { bytesRead } = await fh.read(bytes, 0, size, position);
  return bytes.subarray(0, bytesRead);
}

/** The metadata in `tail` (the last bytes of a file of `fileSize` bytes), or how many tail bytes it needs. */
function parseTail(tail: Buffer, fileSize: number): ObjectMetadata | number | undefined {
  if (tail.length < FOOTER || !tail.subarray(tail.length - MAGIC.length).equals(MAGIC)) return undefined;
  const length = tail.readUInt32BE(tail.length - FOOTER);
  if (length + FOOTER > fileSize) return undefined;
  if (length + FOOTER > tail.length) return length + FOOTER;
  let metadata: ObjectMetadata;
  try {
    metadata = JSON.parse(tail.toString('utf8', tail.length - FOOTER - length, tail.length - FOOTER)) as ObjectMetadata;
  } catch {
    return undefined;
  }
  return typeof metadata?.size === 'number' && metadata.size + length + FOOTER === fileSize ? metadata : undefined;
}

/** A whole .data file of this layout split into the object's bytes and its metadata (undefined: no valid footer). */
export function splitReplica(file: Buffer): { bytes: Buffer; metadata: ObjectMetadata } | undefined {
  const metadata = parseTail(file, file.length);
  return typeof metadata === 'object' ? { bytes: file.subarray(0, metadata.size), metadata } : undefined;
}

/** The footer's metadata, if the file ends with a footer that describes exactly this file. */
async function footerMetadata(fh: FileHandle, head: Buffer, fileSize: number): Promise<ObjectMetadata | undefined> {
  const tailSize = Math.min(fileSize, TAIL_READ);
  return footerFromTail(fh, head.length === fileSize ? head : await readAt(fh, tailSize, fileSize - tailSize), fileSize);
}

/** As footerMetadata, given the file's last bytes (read further back when the metadata is longer). */
async function footerFromTail(fh: FileHandle, tail: Buffer, fileSize: number): Promise<ObjectMetadata | undefined> {
  if (fileSize < FOOTER) return undefined;
  let found = parseTail(tail, fileSize);
  if (typeof found === 'number') found = parseTail(await readAt(fh, found, fileSize - found), fileSize);
  return typeof found === 'object' ? found : undefined;
}

export interface OpenReplica {
  fh: FileHandle;
  metadata: ObjectMetadata;
  /** The object's first bytes, read already: all of them when `head.length === metadata.size`. */
  head: Buffer;
}

/**
 * Opens a replica's .data and learns its metadata: `known` (a sidecar's, or the version the proxy chose) checked
 * against the file, or else the footer's. Reads the first `probe` bytes at once, so a small replica costs one read.
 * Resolves undefined when the file is gone; throws BadReplicaFile when file and metadata disagree. The caller closes
 * the handle.
 */
export async function openReplica(path: string, known: ObjectMetadata | undefined, probe: number): Promise<OpenReplica | undefined> {
  let fh: FileHandle;
  try { fh = await open(path, 'r'); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const head = probe > 0 ? await readAt(fh, probe, 0) : Buffer.alloc(0);
    const fileSize = head.length < probe ? head.length : (await fh.stat()).size;
    // A bare .data (the layout before footers) is exactly the object's bytes.
    if (known && fileSize === known.size) return { fh, metadata: known, head };
    const footer = await footerMetadata(fh, head, fileSize);
    if (!footer || (known && (footer.size !== known.size || footer.etag !== known.etag || footer.timestamp !== known.timestamp))) {
      throw new BadReplicaFile(`${path} does not hold the object its metadata describes`);
    }
    const metadata = known ?? footer;
    return { fh, metadata, head: head.subarray(0, Math.min(head.length, metadata.size)) };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Buffers for a metadata read, whose bytes are parsed and dropped: reused, so a HEAD allocates nothing per read. */
const scratch: Buffer[] = [];

/** The metadata a replica's footer holds (undefined when the file is gone); throws BadReplicaFile. */
export async function readFooter(path: string): Promise<ObjectMetadata | undefined> {
  let fh: FileHandle;
  try { fh = await open(path, 'r'); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const buf = scratch.pop() ?? Buffer.allocUnsafe(TAIL_READ);
  try {
    // A small replica is read whole in one read; a larger one is stat'ed and its tail read into the same buffer.
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let fileSize = bytesRead;
    let tail = buf.subarray(0, bytesRead);
    if (bytesRead === buf.length) {
      fileSize = (await fh.stat()).size;
      tail = buf.subarray(0, (await fh.read(buf, 0, buf.length, fileSize - buf.length)).bytesRead);
    }
    const metadata = await footerFromTail(fh, tail, fileSize);
    if (!metadata) throw new BadReplicaFile(`${path} has no readable metadata footer`);
    return metadata;
  } finally {
    if (scratch.length < 64) scratch.push(buf);
    await fh.close();
  }
}
