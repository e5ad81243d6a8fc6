// The chunked backup format (after Cinder's chunked backup driver): a backup is a set of objects in a container — data
// objects of at most `objectSize` bytes (zlib-compressed by default), a sha256 file with one digest per fixed block,
// and a metadata object written last, so a backup without metadata is known to be incomplete. An incremental backup
// stores only the blocks whose digest differs from its parent's and names the parent; a full one stores every block
// holding data (a block of zeros needs no object: a restore starts from a zeroed disk).
import { createHash } from 'node:crypto';

export const FORMAT_VERSION = 1;

export type Compression = 'zlib' | 'none';

export interface BackupObject {
  name: string;
  /** Byte offset in the volume, and length of the (uncompressed) data. */
  offset: number;
  length: number;
  compression: Compression;
  /** sha256 of the uncompressed data, checked on restore. */
  sha256: string;
}

export interface BackupMetadata {
  version: number;
  backupId: string;
  volumeId: string;
  /** The volume's raw size when backed up. */
  sizeBytes: number;
  blockSize: number;
  createdAt: string;
  /** The backup this one is an increment of, and where it is. */
  parent: { id: string; container: string; prefix: string } | null;
  objects: BackupObject[];
}

export const metadataName = (prefix: string): string => `${prefix}_metadata`;
export const shaFileName = (prefix: string): string => `${prefix}_sha256file`;
export const dataObjectName = (prefix: string, n: number): string => `${prefix}-${String(n).padStart(5, '0')}`;

/** The digest of a block of zeros of `blockSize`, which stands for every block never written. */
export function zeroBlockDigest(blockSize: number): Buffer {
  return createHash('sha256').update(Buffer.alloc(blockSize)).digest();
}
