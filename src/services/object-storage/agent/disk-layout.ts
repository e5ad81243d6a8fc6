// The on-disk layout of a storage device, shared by the object server, the replicator's endpoint and the auditor:
// <device>/objects/<partition>/<hash>/<timestamp>.{data,meta.json,ts}, <device>/tmp and <device>/quarantined.
// A .data holds its metadata in a footer (replica-file.ts); a .meta.json sidecar holds a POST's newer metadata, or all
// of it in data directories written before footers.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import { readFooter } from './replica-file.ts';

/** The newest version in an object directory: a .data or a tombstone. */
export interface Version { timestamp: string; kind: 'data' | 'ts' }

/** An object directory's name: the md5 of the salted object path. */
export const OBJECT_HASH = /^[0-9a-f]{32}$/;

/** Swift's suffix: the last three hex digits of the hash, which group a partition's objects for replication. */
export const suffixOf = (hash: string): string => hash.slice(-3);

export const partitionsDir = (root: string, device: string): string => join(root, device, 'objects');
export const partitionDir = (root: string, device: string, partition: number): string => join(root, device, 'objects', String(partition));
export const tmpDir = (root: string, device: string): string => join(root, device, 'tmp');

/**
 * Newest version among file names. Every .data is whole: it is renamed into place complete, and in the sidecar layout
 * the sidecar was renamed first.
 */
export function newestOf(names: string[]): Version | undefined {
  let best: Version | undefined;
  for (const n of names) {
    const m = /^(\d{10}\.\d{5})\.(data|ts)$/.exec(n);
    if (!m) continue;
    if (!best || m[1] > best.timestamp || (m[1] === best.timestamp && m[2] === 'ts')) best = { timestamp: m[1], kind: m[2] as Version['kind'] };
  }
  return best;
}

export async function newestVersion(dir: string): Promise<Version | undefined> {
  let names: string[];
  try { names = await readdir(dir); } catch { return undefined; }
  return newestOf(names);
}

/** The newest version and whether a sidecar sits beside it (one readdir). */
export async function newestWithSidecar(dir: string): Promise<{ version: Version; sidecar: boolean } | undefined> {
  let names: string[];
  try { names = await readdir(dir); } catch { return undefined; }
  const version = newestOf(names);
  return version && { version, sidecar: version.kind === 'data' && names.includes(`${version.timestamp}.meta.json`) };
}

/** A version's metadata: its sidecar's if it has one, else its .data's footer. Throws BadReplicaFile or ENOENT. */
export async function readMetadata(dir: string, timestamp: string): Promise<ObjectMetadata> {
  const metadata = await readSidecar(dir, timestamp) ?? await readFooter(join(dir, `${timestamp}.data`));
  if (!metadata) throw Object.assign(new Error(`${dir}/${timestamp}.data is gone`), { code: 'ENOENT' });
  return metadata;
}

/**
 * Reads a sidecar (undefined when there is none): open, one read, close in the usual case (readFile adds a stat and a
 * read at the end). A sidecar is never changed in place (written aside, then renamed), so a short read is its end.
 */
export async function readSidecar(dir: string, timestamp: string): Promise<ObjectMetadata | undefined> {
  let fh: FileHandle;
  try { fh = await open(join(dir, `${timestamp}.meta.json`), 'r'); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    let buf = Buffer.allocUnsafe(4096);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      got += bytesRead;
      if (got < buf.length) break;
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger);
      buf = bigger;
    }
    return JSON.parse(buf.toString('utf8', 0, got)) as ObjectMetadata;
  } finally {
    await fh.close();
  }
}

/** Removes every file in `dir` older than `keep` (and stray sidecars); failures are left for a later pass. */
export async function cleanOlder(dir: string, keep: string): Promise<void> {
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    const ts = n.slice(0, 16);
    if (ts < keep) await unlink(join(dir, n)).catch(() => undefined);
  }
}

/** Moves an object directory to <device>/quarantined/objects/ (removes it if the move fails), as Swift does. */
export async function quarantineDir(root: string, device: string, dir: string): Promise<void> {
  const target = join(root, device, 'quarantined', 'objects', `${dir.split('/').at(-1)}-${randomUUID()}`);
  await mkdir(join(target, '..'), { recursive: true });
  await rename(dir, target).catch(() => rm(dir, { recursive: true, force: true }));
}

/** The MD5 of a file's first `size` bytes (an object's bytes, without the footer). */
export async function md5OfFile(path: string, size: number): Promise<string> {
  const hash = createHash('md5');
  if (size === 0) return hash.digest('hex');
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024, start: 0, end: size - 1 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The partitions a device holds, as numbers (other entries are ignored). */
export async function listPartitions(root: string, device: string): Promise<number[]> {
  const names = await readdir(partitionsDir(root, device)).catch(() => [] as string[]);
  return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

/** The object directories (hashes) of a partition on a device. */
export async function listObjectHashes(root: string, device: string, partition: number): Promise<string[]> {
  const names = await readdir(partitionDir(root, device, partition)).catch(() => [] as string[]);
  return names.filter((n) => OBJECT_HASH.test(n));
}
