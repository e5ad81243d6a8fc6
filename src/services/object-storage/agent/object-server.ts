// The storage node's object server on local devices: <root>/<device>/objects/<partition>/<hash>/<timestamp>.data with
// a <timestamp>.meta.json sidecar, <timestamp>.ts tombstones, temp files in <device>/tmp and corrupt replicas moved to
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
import { cleanOlder, md5OfFile, newestVersion, quarantineDir, readMetadata } from './disk-layout.ts';
import type { SuffixHashes } from './suffix-hashes.ts';

/** A PUT's body reaches the disk in writes of about this size (socket chunks are often 16-64 KiB). */
const WRITE_BATCH = 256 * 1024;
/** A verified read of a replica up to this size reads it once into memory and serves that; larger ones read twice. */
const SINGLE_READ_MAX = 2 * 1024 * 1024;
/** Read size for streamed replicas: fewer, larger reads than the 64 KiB default. */
const READ_CHUNK = 256 * 1024;

export interface DiskObjectServerOptions {
  /** <dataDir>/objects: one directory per device. */
  root: string;
  hashSuffix: string;
  /** fsync data, sidecars and directories before acknowledging (off only for throwaway tests). */
  fsync: boolean;
  /** Kept up to date for the replicator: every committed change invalidates its suffix. */
  hashes?: SuffixHashes;
}

/** Reads `size` bytes from the start of a file (fewer if it is shorter: a replica's short read is its end). */
async function readWhole(fh: FileHandle, size: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(size);
  let got = 0;
  while (got < size) {
    const { bytesRead } = await fh.read(bytes, got, size - got, got);
    got += bytesRead;
    if (bytesRead === 0 || got < size) break;
  }
  return bytes.subarray(0, got);
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
      const tmp = tmpDir(addr.device);
      const tmpData = join(tmp, `${randomUUID()}.data`);
      const tmpMeta = join(tmp, `${randomUUID()}.json`);
      const fh = await openTmp(addr.device, tmpData);
      // The sidecar's temp file opens while the body streams; it is filled once the data's MD5 is known.
      const metaOpening = open(tmpMeta, 'w');
      metaOpening.catch(() => undefined);
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
        await flush();
        if (put.expectedSize !== undefined && size !== put.expectedSize) throw badRequest(`The body held ${size} bytes, not the ${put.expectedSize} Content-Length announced.`);
        const etag = hash ? hash.digest('hex') : put.bodyMd5!();
        if (put.expectedEtag !== undefined && put.expectedEtag.toLowerCase() !== etag) throw etagMismatch();
        const metadata: ObjectMetadata = {
          timestamp: put.timestamp, etag, size, contentType: put.contentType, meta: put.meta, ...(put.deleteAt !== undefined ? { deleteAt: put.deleteAt } : {}),
          ...(put.objectManifest !== undefined ? { objectManifest: put.objectManifest } : {}), ...(put.slo ? { slo: put.slo } : {}),
        };
        const dir = objectDir(addr);
        // The sidecar is written beside the data and both are fsynced at once: one wait on the disk instead of two in a row.
        const metaFh = await metaOpening;
        await metaFh.writeFile(JSON.stringify(metadata));
        const [made] = await Promise.all([mkdir(dir, { recursive: true }), ...(opts.fsync ? [fh.sync(), metaFh.sync()] : [])]);
        await Promise.all([fh.close(), metaFh.close()]);
        // The sidecar lands first: a .data without its sidecar is never read, so a crash between the renames hides
        // nothing (and leaves only a sidecar, which the replicator's hashing removes).
        await rename(tmpMeta, join(dir, `${put.timestamp}.meta.json`));
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
          await metaOpening.then((m) => m.close(), () => undefined).catch(() => undefined);
          await unlink(tmpMeta).catch(() => undefined);
        }
      }
    },

    async head(addr): Promise<ObjectState | undefined> {
      const dir = objectDir(addr);
      const v = await newest(dir);
      if (!v) return undefined;
      if (v.kind === 'ts') return { kind: 'deleted', timestamp: v.timestamp };
      return { kind: 'object', metadata: await readMetadata(dir, v.timestamp) };
    },

    async get(addr, { range, verify, version }) {
      const dir = objectDir(addr);
      // The version the proxy chose is opened directly (its bytes are checked against its size and ETag all the same).
      const v = version ? undefined : await newest(dir);
      if (!version && (!v || v.kind === 'ts')) return undefined;
      const metadata = version ?? await readMetadata(dir, v!.timestamp);
      const dataFile = join(dir, `${metadata.timestamp}.data`);
      const where = `device ${addr.device}`;
      const corrupt = async () => { await quarantine(addr, dir); return new CorruptReplica(where); };
      let fh: FileHandle;
      try { fh = await open(dataFile, 'r'); } catch { return undefined; }
      let streaming = false;
      try {
        if (verify && metadata.size <= SINGLE_READ_MAX) {
          // A small replica is read once, the bytes checked being the bytes sent; asking for one byte more than it
          // should hold finds a longer file without a stat.
          const bytes = await readWhole(fh, metadata.size + 1);
          if (bytes.length !== metadata.size || createHash('md5').update(bytes).digest('hex') !== metadata.etag) throw await corrupt();
          return { metadata, data: Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes], { objectMode: false }) };
        }
        if ((await fh.stat()).size !== metadata.size) throw await corrupt();
        if (verify && await md5OfFile(dataFile) !== metadata.etag) throw await corrupt();
        const stream = fh.createReadStream({ highWaterMark: READ_CHUNK, ...(range ? { start: range.start, end: range.end } : {}) });
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
