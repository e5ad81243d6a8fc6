// The storage node's side of replication (rpc/object-replication.ts) on local devices: suffix digests, versions per
// suffix, reading a version to push and storing a pushed one with the same durability as a PUT (one temp file holding
// bytes and metadata footer, fsync, rename, directory fsync; newer metadata alone goes to a sidecar, as a POST's).
// A pushed version never replaces a newer one, so deletes win over older data.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { CorruptReplica, badRequest } from '../domain/errors.ts';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import type { ReplicaVersion, ReplicationServer } from '../rpc/object-replication.ts';
import { syncDir, writeFileDurably } from './disk-files.ts';
import { OBJECT_HASH, cleanOlder, listObjectHashes, listPartitions, newestOf, newestVersion, partitionDir, quarantineDir, readMetadata, suffixOf, tmpDir } from './disk-layout.ts';
import type { Version } from './disk-layout.ts';
import { metadataTrailer, openReplica } from './replica-file.ts';
import type { SuffixHashes } from './suffix-hashes.ts';

export interface ReplicationEndpointOptions {
  root: string;
  fsync: boolean;
  hashes: SuffixHashes;
  available(device: string): boolean;
}

/** True when `a` is a newer state than `b`: later timestamp, a tombstone at the same time, or a later POST. */
export function isNewer(a: ReplicaVersion, b: ReplicaVersion | undefined): boolean {
  if (!b) return true;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  if (a.kind !== b.kind) return a.kind === 'ts';
  return (a.metaTimestamp ?? '') > (b.metaTimestamp ?? '');
}

export function createReplicationEndpoint(opts: ReplicationEndpointOptions): ReplicationServer {
  /** The object directory; every part is checked, since a transport may carry them from another host. */
  function objectDir(device: string, partition: number, hash: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(device) || device.includes('..')) throw badRequest(`Invalid device name ${JSON.stringify(device)}.`);
    if (!Number.isInteger(partition) || partition < 0) throw badRequest(`Invalid partition ${partition}.`);
    if (!OBJECT_HASH.test(hash)) throw badRequest(`Invalid object hash ${JSON.stringify(hash)}.`);
    return join(partitionDir(opts.root, device, partition), hash);
  }

  async function current(dir: string, hash: string): Promise<ReplicaVersion | undefined> {
    const v = await newestVersion(dir);
    return v && await versionOf(dir, hash, v);
  }

  async function versionOf(dir: string, hash: string, v: Version): Promise<ReplicaVersion | undefined> {
    if (v.kind === 'ts') return { hash, ...v };
    const metadata = await readMetadata(dir, v.timestamp).catch(() => undefined);
    if (!metadata) return undefined;
    return { hash, ...v, ...(metadata.metaTimestamp ? { metaTimestamp: metadata.metaTimestamp } : {}) };
  }

  const changed = (device: string, partition: number, hash: string) => opts.hashes.invalidate(device, partition, hash);

  /** A stream of the replica's bytes (never its footer) that fails (and quarantines the replica) unless they match. */
  function checkedData(device: string, partition: number, dir: string, metadata: ObjectMetadata): Readable {
    const path = join(dir, `${metadata.timestamp}.data`);
    const hash = createHash('md5');
    let size = 0;
    const source = metadata.size === 0 ? Readable.from([]) : createReadStream(path, { start: 0, end: metadata.size - 1 });
    /** The file holds exactly these bytes and this metadata (a bare .data, or one with a matching footer). */
    const fileMatches = () => openReplica(path, metadata, 0).then((r) => r?.fh.close().then(() => true) ?? false, () => false);
    const checked = new Transform({
      transform(chunk: Buffer, _enc, done) { hash.update(chunk); size += chunk.length; done(null, chunk); },
      flush(done) {
        void (async () => {
          if (size === metadata.size && hash.digest('hex') === metadata.etag && await fileMatches()) return done();
          await quarantineDir(opts.root, device, dir).catch(() => undefined);
          changed(device, partition, dir.split('/').at(-1)!);
          done(new CorruptReplica(`device ${device}`));
        })();
      },
    });
    source.on('error', (err: Error) => checked.destroy(err));
    checked.on('close', () => source.destroy());
    return source.pipe(checked);
  }

  /** Writes pushed bytes and their metadata footer to a temp file, checking them; resolves to the temp path. */
  async function receiveBytes(device: string, data: Readable, metadata: ObjectMetadata): Promise<string> {
    await mkdir(tmpDir(opts.root, device), { recursive: true });
    const tmp = join(tmpDir(opts.root, device), `${randomUUID()}.data`);
    const fh = await open(tmp, 'w');
    const hash = createHash('md5');
    let size = 0;
    try {
      for await (const chunk of data) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
        await fh.write(chunk as Buffer);
      }
      if (size !== metadata.size || hash.digest('hex') !== metadata.etag) throw badRequest('The pushed replica does not match its size and MD5.');
      await fh.write(metadataTrailer(metadata));
      if (opts.fsync) await fh.sync();
      await fh.close();
      return tmp;
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  return {
    available: (device) => opts.available(device),

    partitions: (device) => listPartitions(opts.root, device),

    suffixHashes: (device, partition, o) => opts.hashes.get(device, partition, o),

    async versions(device, partition, suffixes) {
      const wanted = new Set(suffixes);
      const out: ReplicaVersion[] = [];
      for (const hash of await listObjectHashes(opts.root, device, partition)) {
        if (!wanted.has(suffixOf(hash))) continue;
        const dir = objectDir(device, partition, hash);
        const v = newestOf(await readdir(dir).catch(() => [] as string[]));
        const version = v && await versionOf(dir, hash, v);
        if (version) out.push(version);
      }
      return out;
    },

    async readVersion(device, partition, v, { metadataOnly = false } = {}) {
      const dir = objectDir(device, partition, v.hash);
      const now = await current(dir, v.hash);
      if (!now || now.timestamp !== v.timestamp || now.kind !== v.kind) return undefined;
      if (now.kind === 'ts') return { hash: v.hash, kind: 'ts', timestamp: now.timestamp };
      const metadata = await readMetadata(dir, now.timestamp);
      if (metadataOnly) return { hash: v.hash, kind: 'data', metadata };
      return { hash: v.hash, kind: 'data', metadata, data: checkedData(device, partition, dir, metadata) };
    },

    async receive(device, partition, files) {
      const dir = objectDir(device, partition, files.hash);
      const here = await current(dir, files.hash);
      const data = files.kind === 'data' ? files.data : undefined;
      try {
        if (files.kind === 'ts') {
          if (!isNewer({ hash: files.hash, kind: 'ts', timestamp: files.timestamp }, here)) return false;
          await mkdir(tmpDir(opts.root, device), { recursive: true });
          await writeFileDurably(join(tmpDir(opts.root, device), `${randomUUID()}.ts`), join(dir, `${files.timestamp}.ts`), '', opts.fsync);
          if (opts.fsync) await syncDir(dir);
          await cleanOlder(dir, files.timestamp);
          changed(device, partition, files.hash);
          return true;
        }
        const m = files.metadata;
        const pushed: ReplicaVersion = { hash: files.hash, kind: 'data', timestamp: m.timestamp, ...(m.metaTimestamp ? { metaTimestamp: m.metaTimestamp } : {}) };
        if (!isNewer(pushed, here)) return false;
        const sameData = here?.kind === 'data' && here.timestamp === m.timestamp;
        if (!sameData && !data) return false;
        if (sameData) {
          // Only newer metadata (a POST): a sidecar beside the bytes already here, as a POST writes it.
          await writeFileDurably(join(tmpDir(opts.root, device), `${randomUUID()}.json`), join(dir, `${m.timestamp}.meta.json`), JSON.stringify(m), opts.fsync);
        } else {
          // As a PUT: one file, bytes and metadata, made visible by one rename.
          const tmpData = await receiveBytes(device, data!, m);
          try {
            await mkdir(dir, { recursive: true });
            // A sidecar a crash left with this timestamp would otherwise win over the pushed metadata.
            await unlink(join(dir, `${m.timestamp}.meta.json`)).catch(() => undefined);
            await rename(tmpData, join(dir, `${m.timestamp}.data`));
          } finally {
            await unlink(tmpData).catch(() => undefined);
          }
        }
        if (opts.fsync) await syncDir(dir);
        await cleanOlder(dir, m.timestamp);
        changed(device, partition, files.hash);
        return true;
      } finally {
        data?.destroy();
      }
    },

    async drop(device, partition, v) {
      const dir = objectDir(device, partition, v.hash);
      const now = await current(dir, v.hash);
      // Something newer arrived after the primaries were synced: keep it for the next pass.
      if (now && isNewer(now, v)) return;
      for (const n of await readdir(dir).catch(() => [] as string[])) {
        if (n.slice(0, 16) <= v.timestamp) await unlink(join(dir, n)).catch(() => undefined);
      }
      await rmdir(dir).catch(() => undefined);
      changed(device, partition, v.hash);
    },
  };
}
