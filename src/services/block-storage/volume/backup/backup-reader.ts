// Restores chunked backups and removes them. A restore applies the chain from the full backup up to the one asked for,
// object by object (memory stays at one object), into a zeroed raw disk, checking each object's length and digest.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import type { RawVolumeWriter } from '../drivers/volume-driver.ts';
import type { BackupStore } from './backup-store.ts';
import { FORMAT_VERSION, metadataName } from './chunked-format.ts';
import type { BackupMetadata } from './chunked-format.ts';

const inflateAsync = promisify(inflate);
/** More links than any real chain: a loop in corrupt metadata must not spin forever. */
const MAX_CHAIN = 10_000;

export async function readMetadata(store: BackupStore, container: string, prefix: string): Promise<BackupMetadata> {
  const meta = JSON.parse((await store.get(container, metadataName(prefix))).toString('utf8')) as BackupMetadata;
  if (meta.version !== FORMAT_VERSION) throw new Error(`backup ${prefix} has format version ${meta.version}, which this release cannot read`);
  return meta;
}

/** The chain ending at the backup at `prefix`, full backup first. */
export async function readChain(store: BackupStore, container: string, prefix: string): Promise<BackupMetadata[]> {
  const chain: BackupMetadata[] = [];
  for (let at: { container: string; prefix: string } | null = { container, prefix }; at; at = chain[0].parent) {
    if (chain.length >= MAX_CHAIN) throw new Error(`backup ${prefix} has a parent chain that does not end`);
    chain.unshift(await readMetadata(store, at.container, at.prefix));
  }
  return chain;
}

/** The raw size of the backup at `prefix`. */
export async function backupSize(store: BackupStore, container: string, prefix: string): Promise<number> {
  return (await readMetadata(store, container, prefix)).sizeBytes;
}

/** Writes the data of the backup at `prefix` (and of its parents) into `out`, a zeroed raw disk. */
export async function restoreChain(store: BackupStore, container: string, prefix: string, out: RawVolumeWriter): Promise<void> {
  const chain = await readChain(store, container, prefix);
  const size = chain.at(-1)!.sizeBytes;
  for (const [i, meta] of chain.entries()) {
    const objectContainer = i === chain.length - 1 ? container : chain[i + 1].parent!.container;
    for (const o of meta.objects) {
      const stored = await store.get(objectContainer, o.name);
      const data = o.compression === 'zlib' ? await inflateAsync(stored) : stored;
      if (data.length !== o.length || createHash('sha256').update(data).digest('hex') !== o.sha256) {
        throw new Error(`backup object ${o.name} is corrupt (its length or sha256 differs from the metadata)`);
      }
      if (o.offset + data.length > size) throw new Error(`backup object ${o.name} lies beyond the volume's ${size} bytes`);
      await out.write(data, o.offset);
    }
  }
}

/** Removes every object of the backup at `prefix`, the metadata first (a backup without it is incomplete). Idempotent. */
export async function deleteBackupObjects(store: BackupStore, container: string, prefix: string): Promise<void> {
  await store.delete(container, metadataName(prefix));
  for (const name of await store.list(container, prefix)) await store.delete(container, name);
}
