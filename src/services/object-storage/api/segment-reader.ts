// Reading a large object's segments for GET and COPY: each segment is read with the caller's own rights, must still be
// what the manifest recorded, and streams in turn. The first one is opened before anything is answered (409 when it
// is gone or changed, as Swift does); a later one that fails ends the stream, which closes the connection.
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { isStratusError } from '#lib/errors.ts';
import { SegmentError, segmentConflict } from '../domain/errors.ts';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import type { ProxyDeps } from './deps.ts';
import { containerFor, liveObject } from './object-lookup.ts';
import type { ObjectPath } from './replicas.ts';
import { grantCovers } from './tempurl.ts';

/** A part of a large object: bytes start..end (inclusive) of a segment object, or of inline data. */
export type SegmentPiece =
  | { kind: 'object'; path: ObjectPath; start: number; end: number; etag?: string; size?: number }
  | { kind: 'data'; data: Buffer; start: number; end: number };

export interface SegmentContext {
  deps: ProxyDeps;
  /** The large object (for messages and logs). */
  manifest: ObjectPath;
  /** Throws 401/403 unless the caller may read objects of that path's container. */
  canRead(path: ObjectPath): Promise<void>;
}

/**
 * The caller's access to segments: the rights it has on each segment container (checked once per container), or,
 * when a TempURL let it read the manifest, every container of the manifest's account, as Swift's subrequests inherit.
 */
export function segmentContext(deps: ProxyDeps, req: FastifyRequest, manifest: ObjectPath): SegmentContext {
  const byTempUrl = grantCovers(req, 'object-read', manifest);
  const checked = new Map<string, Promise<void>>();
  return {
    deps, manifest,
    canRead(path) {
      if (byTempUrl && path.account === manifest.account) return Promise.resolve();
      const key = `${path.account}/${path.container}`;
      let check = checked.get(key);
      if (!check) {
        // The project's own users may read objects whose container row is gone, as with plain reads.
        check = containerFor(deps, req, 'object-read', path).then(() => undefined, (err: unknown) => {
          if ((err as { status?: number }).status !== 404) throw err;
        });
        checked.set(key, check);
      }
      return check;
    },
  };
}

const where = (p: ObjectPath) => `/${p.container}/${p.object}`;

/** A segment's live metadata, read with the caller's rights; SegmentError when it is gone or not what was recorded. */
export async function segmentMetadata(ctx: SegmentContext, path: ObjectPath, expect: { etag?: string; size?: number } = {}): Promise<ObjectMetadata> {
  await ctx.canRead(path);
  const m = await liveObject(ctx.deps, path).catch((err: unknown) => {
    if (isStratusError(err) && err.status === 404) throw new SegmentError(`Segment ${where(path)} of ${where(ctx.manifest)} is gone.`);
    throw err;
  });
  if ((expect.etag !== undefined && m.etag !== expect.etag) || (expect.size !== undefined && m.size !== expect.size)) {
    throw new SegmentError(`Object segment no longer valid: ${where(path)} etag ${m.etag}, ${m.size} bytes; the manifest of ${where(ctx.manifest)} expects ${expect.etag ?? 'any'}, ${expect.size ?? 'any'}.`);
  }
  return m;
}

async function openPiece(ctx: SegmentContext, piece: SegmentPiece): Promise<Readable> {
  if (piece.kind === 'data') return Readable.from([piece.data.subarray(piece.start, piece.end + 1)]);
  const m = await segmentMetadata(ctx, piece.path, piece);
  if (piece.end >= m.size) throw new SegmentError(`Segment ${where(piece.path)} is shorter than ${where(ctx.manifest)} needs.`);
  const whole = piece.start === 0 && piece.end === m.size - 1;
  const { data } = await ctx.deps.replicas.open(piece.path, {
    ...(whole ? {} : { range: { start: piece.start, end: piece.end } }), verifyMaxBytes: ctx.deps.settings.verifyOnReadMaxBytes, wanted: m,
  });
  return data;
}

/**
 * Streams the pieces one after another. Resolves once the first piece is open: a first segment that is missing,
 * changed or unreadable rejects with 409 (a storage outage with 503) before any byte is sent.
 */
export async function assemble(ctx: SegmentContext, pieces: AsyncIterable<SegmentPiece>): Promise<Readable> {
  const iterator = pieces[Symbol.asyncIterator]();
  let first: Readable | undefined;
  let done = false;
  try {
    const next = await iterator.next();
    done = next.done === true;
    if (!next.done) first = await openPiece(ctx, next.value);
  } catch (err) {
    await iterator.return?.();
    if (isStratusError(err) && err.status >= 500) throw err;
    ctx.deps.log.warn({ err: (err as Error).message, manifest: ctx.manifest }, 'large object: first segment unavailable');
    throw segmentConflict();
  }
  async function* bytes() {
    try {
      if (first) yield* first;
      first = undefined;
      while (!done) {
        const next = await iterator.next();
        if (next.done) return;
        yield* await openPiece(ctx, next.value);
      }
    } catch (err) {
      ctx.deps.log.warn({ err: (err as Error).message, manifest: ctx.manifest }, 'large object: segment failed mid-stream, closing the connection');
      throw err;
    } finally {
      await iterator.return?.();
    }
  }
  const body = Readable.from(bytes(), { objectMode: false });
  body.once('close', () => first?.destroy());
  return body;
}

/** A large object as GET, HEAD and COPY see it, whatever kind of manifest assembles it. */
export interface LargeObjectView {
  /** Response headers that replace the manifest object's own (the large object's ETag, markers). */
  headers: Record<string, string>;
  /** The large object's ETag (unquoted) and size, when known (a DLO knows them only if one listing page holds it). */
  etag?: string;
  size?: number;
  /** Whether several ranges are answered as multipart/byteranges (SLO) or with the whole object (DLO). */
  multipleRanges: boolean;
  /** Streams the large object, or bytes range.start..range.end of it; see assemble() for the first segment. */
  read(range?: { start: number; end: number }): Promise<Readable>;
}
