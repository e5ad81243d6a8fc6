// Suffix hashes, Swift's hashes.pkl: per partition, one digest per suffix (last three hex digits of the object hash)
// over the newest version of each object under it. Two devices holding the same partition compare these digests and
// look inside only the suffixes that differ, so an in-sync partition costs one small read per replica and pass.
// The cache is <partition>/hashes.json; writes mark their suffix invalid in memory, and a cache written by another
// process (before a restart) is recomputed whole, so a crash can never leave a stale digest trusted. Wiping a device
// wipes its cache with it. While hashing, as Swift does, tombstones older than reclaim_age are removed, and so are
// files older than an object's newest version and sidecars a crash left without their data past reclaim_age.
import { createHash, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listObjectHashes, newestOf, partitionDir, readMetadata, suffixOf, tmpDir } from './disk-layout.ts';

export type SuffixDigests = Record<string, string>;

export interface SuffixHashes {
  /** Marks the suffix of an object directory changed; call after the change is on disk. */
  invalidate(device: string, partition: number, hash: string): void;
  /**
   * The partition's suffix digests on a device ({} when it holds none of it), recomputing invalid suffixes and those
   * in `recalculate`. Calls for one partition run one at a time.
   */
  get(device: string, partition: number, opts?: { recalculate?: string[] }): Promise<SuffixDigests>;
}

interface CacheFile { boot: string; hashes: SuffixDigests }

export function createSuffixHashes(opts: { root: string; reclaimAgeSeconds: number; now?: () => number }): SuffixHashes {
  const boot = randomUUID();
  const invalid = new Map<string, Set<string>>();
  const busy = new Map<string, Promise<unknown>>();
  /** What this process last wrote per partition, and which file that was, so an unchanged one is not read again. */
  const memo = new Map<string, { hashes: SuffixDigests; file: string }>();
  const fileId = (path: string) => {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? `${st.ino}/${st.mtimeMs}/${st.size}` : undefined;
  };
  const now = opts.now ?? (() => Date.now() / 1000);

  /** One object directory's line in its suffix digest, or undefined when it holds no live version or tombstone. */
  async function describe(dir: string, hash: string): Promise<string | undefined> {
    let names = await readdir(dir).catch(() => [] as string[]);
    // A sidecar without its .data is a PUT a crash cut short (never visible): gone once past reclaim_age.
    const orphans = names.filter((n) => n.endsWith('.meta.json') && !names.includes(`${n.slice(0, 16)}.data`) && Number(n.slice(0, 16)) < now() - opts.reclaimAgeSeconds);
    for (const n of orphans) await unlink(join(dir, n)).catch(() => undefined);
    if (orphans.length > 0) names = names.filter((n) => !orphans.includes(n));
    const v = newestOf(names);
    if (!v) {
      if (names.length === 0) await rmdir(dir).catch(() => undefined);
      return undefined;
    }
    if (v.kind === 'ts' && Number(v.timestamp) < now() - opts.reclaimAgeSeconds) {
      for (const n of names) if (n.slice(0, 16) <= v.timestamp) await unlink(join(dir, n)).catch(() => undefined);
      await rmdir(dir).catch(() => undefined);
      return undefined;
    }
    // Files older than the newest version (left by a PUT that arrived out of order) are of no use to anyone.
    for (const n of names) if (n.slice(0, 16) < v.timestamp) await unlink(join(dir, n)).catch(() => undefined);
    const metaTimestamp = v.kind === 'data' ? (await readMetadata(dir, v.timestamp).catch(() => undefined))?.metaTimestamp : undefined;
    return `${hash} ${v.timestamp}.${v.kind} ${metaTimestamp ?? ''}`;
  }

  async function hashSuffixes(device: string, partition: number, suffixes: Set<string> | undefined, into: SuffixDigests): Promise<void> {
    const dir = partitionDir(opts.root, device, partition);
    const lines = new Map<string, string[]>();
    for (const s of suffixes ?? []) lines.set(s, []);
    for (const hash of await listObjectHashes(opts.root, device, partition)) {
      const s = suffixOf(hash);
      if (suffixes && !suffixes.has(s)) continue;
      const line = await describe(join(dir, hash), hash);
      if (!line) continue;
      if (!lines.has(s)) lines.set(s, []);
      lines.get(s)!.push(line);
    }
    for (const [s, ls] of lines) {
      if (ls.length === 0) delete into[s];
      else into[s] = createHash('md5').update(ls.sort().join('\n')).digest('hex');
    }
  }

  async function compute(device: string, partition: number, recalculate: string[]): Promise<SuffixDigests> {
    const key = `${device}/${partition}`;
    const dir = partitionDir(opts.root, device, partition);
    const dirty = invalid.get(key) ?? new Set<string>();
    invalid.delete(key);
    for (const s of recalculate) dirty.add(s);
    const known = memo.get(key);
    if (known && dirty.size === 0 && known.file === fileId(join(dir, 'hashes.json'))) return { ...known.hashes };
    memo.delete(key);
    let cached: CacheFile | undefined;
    try { cached = JSON.parse(await readFile(join(dir, 'hashes.json'), 'utf8')) as CacheFile; } catch { cached = undefined; }
    const trusted = cached?.boot === boot;
    // The common case on an in-sync cluster: nothing changed since the last look, so nothing to hash or write.
    if (trusted && dirty.size === 0) return { ...cached!.hashes };
    const hashes: SuffixDigests = trusted ? { ...cached!.hashes } : {};
    try {
      await hashSuffixes(device, partition, trusted ? dirty : undefined, hashes);
    } catch (err) {
      // Hash these suffixes again next time rather than trusting a half-done pass.
      invalid.set(key, new Set([...dirty, ...(invalid.get(key) ?? [])]));
      throw err;
    }
    const entries = await readdir(dir).catch(() => undefined);
    if (!entries) return {};
    if (Object.keys(hashes).length === 0 && entries.every((n) => n === 'hashes.json')) {
      // Nothing left in the partition (a drained handoff): remove it rather than keep an empty cache.
      await unlink(join(dir, 'hashes.json')).catch(() => undefined);
      await rmdir(dir).catch(() => undefined);
      return {};
    }
    const tmp = join(tmpDir(opts.root, device), `${randomUUID()}.hashes`);
    await mkdir(tmpDir(opts.root, device), { recursive: true });
    await writeFile(tmp, JSON.stringify({ boot, hashes } satisfies CacheFile));
    try {
      await rename(tmp, join(dir, 'hashes.json'));
      const file = fileId(join(dir, 'hashes.json'));
      if (file) memo.set(key, { hashes: { ...hashes }, file });
    } catch {
      await unlink(tmp).catch(() => undefined);
    }
    return hashes;
  }

  return {
    invalidate(device, partition, hash) {
      const key = `${device}/${partition}`;
      if (!invalid.has(key)) invalid.set(key, new Set());
      invalid.get(key)!.add(suffixOf(hash));
    },

    get(device, partition, { recalculate = [] } = {}) {
      const key = `${device}/${partition}`;
      const run = (busy.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => compute(device, partition, recalculate));
      busy.set(key, run);
      void run.finally(() => { if (busy.get(key) === run) busy.delete(key); }).catch(() => undefined);
      return run;
    },
  };
}
