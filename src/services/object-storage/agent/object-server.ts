// The storage node's object server on local devices: <root>/<device>/objects/<partition>/<hash>/<timestamp>.data with
// its metadata in a footer (replica-file.ts; a POST adds a <timestamp>.meta.json sidecar), <timestamp>.ts tombstones, temp files in <device>/tmp and corrupt replicas moved to
// <device>/quarantined. Names never become paths: the directory is the md5 of the salted object path.
import { createHash, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { CorruptReplica, etagMismatch, badRequest } from '../domain/errors.ts';
import { nameHash } from '../domain/ring/ring.ts';
import type { ObjectAddress, ObjectMetadata, ObjectServer, ObjectState, PutObjectOptions } from '../rpc/object-server.ts';
import { syncDir, writeFileDurably } from './disk-files.ts';
import { cleanOlder, md5OfFile, newestVersion, newestWithSidecar, quarantineDir, readMetadata, readSidecar } from './disk-layout.ts';
import { BadReplicaFile, FOOTER_BYTES, metadataTrailer, openReplica, readAt, readFooter } from './replica-file.ts';
import type { OpenReplica } from './replica-file.ts';
import type { SuffixHashes } from './suffix-hashes.ts';

/** A PUT's body reaches the disk in writes of about this size (socket chunks are often 16-64 KiB). */
const WRITE_BATCH = 256 * 1024;
/** A verified read of a replica up to this size reads it once into memory and serves that; larger ones read twice. */
const SINGLE_READ_MAX = 2 * 1024 * 1024;
/** Not knowing a replica's size, a GET reads this much at once: all of a small one, footer included, with no stat. */
const GET_PROBE = 16 * 1024;
/** Read size for streamed replicas: fewer, larger reads than the 64 KiB default. */
const READ_CHUNK = 256 * 1024;

export interface DiskObjectServerOptions {
  /** <dataDir>/objects: one directory per device. */
  root: string;
  hashSuffix: string;
  /** fsync replicas, sidecars and directories before acknowledging (off only for throwaway tests). */
  fsync: boolean;
  /** Kept up to date for the replicator: every committed change invalidates its suffix. */
  hashes?: SuffixHashes;
}

/**
 * How much of a replica a GET reads at once. Knowing the size (the proxy's version or a sidecar): the whole file,
 * footer included, when the bytes are read into memory anyway; nothing for a large stream (a stat and the footer then
 * check the file). Not knowing it: enough for any small replica.
 */
function getProbe(known: ObjectMetadata | undefined, verify: boolean): number {
  if (!known) return GET_PROBE;
  if (known.size > GET_PROBE && !(verify && known.size <= SINGLE_READ_MAX)) return 0;
  // The footer of an object never POSTed holds this very JSON; one byte more shows the file ends there, without a stat.
  return known.size + Buffer.byteLength(JSON.stringify(known)) + FOOTER_BYTES + 1;
}

export function createDiskObjectServer(opts: DiskObjectServerOptions): ObjectServer {
  const objectDir = (a: ObjectAddress) => join(opts.root, a.device, 'objects', String(a.partition), nameHash({ hashSuffix: opts.hashSuffix }, a.account, a.container, a.object));
  const tmpDir = (device: string) => join(opts.root, device, 'tmp');

  /** Devices whose tmp directory this process made (or found); a PUT makes it again only if it went missing. */
  const tmpReady = new Set<string>();
  async function openTmp(device: string, path: string): Promise<FileHandle> {
    if (!tmpReady.has(device)) {
      await mkdir(tmpDir(device), { recursive: true });
      tmpReady.add(device);
    }
    try {
      return await open(path, 'w');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(tmpDir(device), { recursive: true });
      return await open(path, 'w');
    }
  }

  const quarantine = (addr: ObjectAddress, dir: string) => quarantineDir(opts.root, addr.device, dir).finally(() => changed(addr, dir));
  const newest = newestVersion;
  /** Tells the suffix hashes an object directory changed (after the change is on disk). */
  function changed(addr: ObjectAddress, dir: string): void {
    opts.hashes?.invalidate(addr.device, addr.partition, dir.split('/').at(-1)!);
  }

  return {
    available(device) {
      try { return statSync(join(opts.root, device)).isDirectory(); } catch { return false; }
    },

    async put(addr, put: PutObjectOptions, data: Readable) {
      const tmpData = join(tmpDir(addr.device), `${randomUUID()}.data`);
      const fh = await openTmp(addr.device, tmpData);
      // The proxy's digest of these same buffers when it gives one (in process); otherwise this replica hashes them.
      const hash = put.bodyMd5 ? undefined : createHash('md5');
      let size = 0;
      let committed = false;
      try {
        // Chunks are gathered into writes of up to WRITE_BATCH bytes: fewer trips through libuv's small thread pool.
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        const flush = async () => {
          if (pendingBytes === 0) return;
          const bufs = pending;
          pending = [];
          pendingBytes = 0;
          await fh.writev(bufs);
        };
        for await (const chunk of data) {
          const buf = chunk as Buffer;
          hash?.update(buf);
          size += buf.length;
          pending.push(buf);
          pendingBytes += buf.length;
          if (pendingBytes >= WRITE_BATCH || pending.length >= 64) await flush();
        }
        if (put.expectedSize !== undefined && size !== put.expectedSize) throw badRequest(`The body held ${size} bytes, not the ${put.expectedSize} Content-Length announced.`);
        const etag = hash ? hash.digest('hex') : put.bodyMd5!();
        if (put.expectedEtag !== undefined && put.expectedEtag.toLowerCase() !== etag) throw etagMismatch();
        const metadata: ObjectMetadata = {
          timestamp: put.timestamp, etag, size, contentType: put.contentType, meta: put.meta, ...(put.deleteAt !== undefined ? { deleteAt: put.deleteAt } : {}),
          ...(put.objectManifest !== undefined ? { objectManifest: put.objectManifest } : {}), ...(put.slo ? { slo: put.slo } : {}),
        };
        // The metadata follows the bytes in the same file (a small object's bytes go in the same write).
        const trailer = metadataTrailer(metadata);
        pending.push(trailer);
        pendingBytes += trailer.length;
        await flush();
        const dir = objectDir(addr);
        const [made] = await Promise.all([mkdir(dir, { recursive: true }), ...(opts.fsync ? [fh.sync()] : [])]);
        await fh.close();
        // One rename makes the whole replica visible at once: a crash before it leaves only a temp file.
        await rename(tmpData, join(dir, `${put.timestamp}.data`));
        committed = true;
        if (opts.fsync) await syncDir(dir);
        // A directory this PUT made holds no older version to remove (a racing older PUT's leftover goes at the
        // replicator's next hashing of the suffix).
        if (made === undefined) await cleanOlder(dir, put.timestamp);
        changed(addr, dir);
        return metadata;
      } finally {
        if (!committed) {
          await fh.close().catch(() => undefined);
          await unlink(tmpData).catch(() => undefined);
        }
      }
    },

    async head(addr): Promise<ObjectState | undefined> {
      const dir = objectDir(addr);
      const found = await newestWithSidecar(dir);
      if (!found) return undefined;
      const { version: v, sidecar } = found;
      if (v.kind === 'ts') return { kind: 'deleted', timestamp: v.timestamp };
      const posted = sidecar ? await readSidecar(dir, v.timestamp) : undefined;
      if (posted) return { kind: 'object', metadata: posted };
      try {
        const metadata = await readFooter(join(dir, `${v.timestamp}.data`));
        return metadata && { kind: 'object', metadata };
      } catch (err) {
        if (!(err instanceof BadReplicaFile)) throw err;
        // An unreadable footer: this replica is lost (the replicator brings a good copy back).
        await quarantine(addr, dir);
        return undefined;
      }
    },

    async get(addr, { range, verify, version }) {
      const dir = objectDir(addr);
      // The version the proxy chose is opened directly (its bytes are checked against its size and ETag all the same).
      const found = version ? undefined : await newestWithSidecar(dir);
      if (!version && (!found || found.version.kind === 'ts')) return undefined;
      const timestamp = version?.timestamp ?? found!.version.timestamp;
      const known = version ?? (found!.sidecar ? await readSidecar(dir, timestamp) : undefined);
      const dataFile = join(dir, `${timestamp}.data`);
      const where = `device ${addr.device}`;
      const corrupt = async () => { await quarantine(addr, dir); return new CorruptReplica(where); };
      let replica: OpenReplica | undefined;
      try {
        replica = await openReplica(dataFile, known, getProbe(known, verify));
      } catch (err) {
        if (err instanceof BadReplicaFile) throw await corrupt();
        throw err;
      }
      if (!replica) return undefined;
      const { fh, metadata, head } = replica;
      let streaming = false;
      try {
        if (head.length === metadata.size || (verify && metadata.size <= SINGLE_READ_MAX)) {
          // A small replica is in memory after one read (or two): the bytes checked are the bytes sent.
          const bytes = head.length === metadata.size ? head : Buffer.concat([head, await readAt(fh, metadata.size - head.length, head.length)]);
          if (bytes.length !== metadata.size || createHash('md5').update(bytes).digest('hex') !== metadata.etag) throw await corrupt();
          return { metadata, data: Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes], { objectMode: false }) };
        }
        if (verify && await md5OfFile(dataFile, metadata.size) !== metadata.etag) throw await corrupt();
        // Only the object's bytes are served, never the footer after them.
        const stream = fh.createReadStream({ highWaterMark: READ_CHUNK, start: range?.start ?? 0, end: range?.end ?? metadata.size - 1 });
        streaming = true;
        if (verify || range) return { metadata, data: stream };
        // Unverified full read: check the MD5 as the bytes pass and fail the stream (and quarantine) on a mismatch.
        const hash = createHash('md5');
        const checked = new Transform({
          transform(chunk: Buffer, _enc, done) { hash.update(chunk); done(null, chunk); },
          flush(done) {
            if (hash.digest('hex') === metadata.etag) return done();
            corrupt().then((err) => done(err), () => done(new CorruptReplica(where)));
          },
        });
        stream.on('error', (err) => checked.destroy(err));
        checked.on('close', () => stream.destroy());
        return { metadata, data: stream.pipe(checked) };
      } finally {
        // Once streaming, the stream owns the handle and closes it when it ends or is destroyed.
        if (!streaming) await fh.close();
      }
    },

    async post(addr, p) {
      const dir = objectDir(addr);
      const v = await newest(dir);
      if (!v || v.kind === 'ts') return false;
      const current = await readMetadata(dir, v.timestamp);
      if (current.metaTimestamp && current.metaTimestamp > p.timestamp) return true;
      const next: ObjectMetadata = { ...current, meta: p.meta, metaTimestamp: p.timestamp, contentType: p.contentType ?? current.contentType };
      if (p.deleteAt === null) delete next.deleteAt;
      else if (p.deleteAt !== undefined) next.deleteAt = p.deleteAt;
      if (p.objectManifest === null) delete next.objectManifest;
      else if (p.objectManifest !== undefined) next.objectManifest = p.objectManifest;
      await mkdir(tmpDir(addr.device), { recursive: true });
      await writeFileDurably(join(tmpDir(addr.device), `${randomUUID()}.json`), join(dir, `${v.timestamp}.meta.json`), JSON.stringify(next), opts.fsync);
      changed(addr, dir);
      return true;
    },

    async delete(addr, { timestamp, ifDeleteAt }) {
      const dir = objectDir(addr);
      if (ifDeleteAt !== undefined) {
        const v = await newest(dir);
        if (v?.kind !== 'data' || (await readMetadata(dir, v.timestamp)).deleteAt !== ifDeleteAt) return;
      }
      await mkdir(tmpDir(addr.device), { recursive: true });
      await writeFileDurably(join(tmpDir(addr.device), `${randomUUID()}.ts`), join(dir, `${timestamp}.ts`), '', opts.fsync);
      if (opts.fsync) await syncDir(dir);
      await cleanOlder(dir, timestamp);
      changed(addr, dir);
    },
  };
}
