// Object PUT (streamed to the replicas, or copied with X-Copy-From) and COPY (Destination): the bytes reach a quorum
// of replicas durably before the listing is updated and 201 is answered. A PUT may make a DLO manifest
// (X-Object-Manifest); ?multipart-manifest=put (an SLO manifest) is slo-write.ts's. Copying a large object copies
// the assembled bytes unless ?multipart-manifest=get asks for the manifest.
import { Transform, pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { recordObject } from '../db/listings-repo.ts';
import { guessContentType, validContentType } from '../domain/content-type.ts';
import { checkObjectManifest } from '../domain/dlo-manifest.ts';
import { lengthRequired, preconditionFailed, tooLarge } from '../domain/errors.ts';
import { deleteAtFrom } from '../domain/expiry.ts';
import { cleanContentType, listingContentType, listingEtag } from '../domain/large-object-listing.ts';
import { checkMetaLimits, metaFromHeaders } from '../domain/metadata.ts';
import { projectOfAccount } from '../domain/names.ts';
import { checkContainerQuota } from '../domain/quotas.ts';
import { versioningOf } from '../domain/versioning.ts';
import type { LargeObjectSummary, ObjectMetadata } from '../rpc/object-server.ts';
import type { ProxyDeps } from './deps.ts';
import { header, lastModifiedOf, newTimestamp, timestampToIso } from './deps.ts';
import { largeObjectView } from './large-object-read.ts';
import { underPendingUpdate } from './object-updater.ts';
import { containerFor, liveObject } from './object-lookup.ts';
import type { ObjectPath } from './replicas.ts';
import { putSloManifest } from './slo-write.ts';
import { archiveCurrent } from './versioned-writes.ts';
import { parseCopyPath } from './swift-path.ts';

type Headers = Record<string, string | string[] | undefined>;

const truthy = (v: string | undefined) => v !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.toLowerCase());
const get = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** The metadata a PUT sets (meta, content type, delete-at) from its headers; `base` is a copy source's. */
function putMetadata(h: Headers, path: ObjectPath, base?: ObjectMetadata) {
  const changes = metaFromHeaders('object', h);
  const fresh = truthy(get(h, 'x-fresh-metadata'));
  const meta: Record<string, string> = base && !fresh ? { ...base.meta } : {};
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) meta[k] = v; else delete meta[k];
  checkMetaLimits(meta);
  let contentType = get(h, 'content-type')?.trim();
  if (contentType !== undefined && !validContentType(contentType)) throw new BadRequest('Invalid Content-Type header.');
  if (contentType !== undefined) contentType = cleanContentType(contentType);
  const detect = truthy(get(h, 'x-detect-content-type'));
  if (!contentType || detect) contentType = base && !detect ? base.contentType : guessContentType(path.object);
  const deleteAt = deleteAtFrom({ at: get(h, 'x-delete-at'), after: get(h, 'x-delete-after') }, Date.now() / 1000);
  const inherited = base && !fresh ? base.deleteAt : undefined;
  return { meta, contentType, deleteAt: deleteAt ?? inherited };
}

export interface StoreOptions {
  /** Where metadata, content type and expiry come from: the request's headers unless given (an extracted file's). */
  headers?: Headers;
  size?: number;
  etag?: string;
  /** A copy source: its metadata is kept unless X-Fresh-Metadata. */
  base?: ObjectMetadata;
  objectManifest?: string;
  slo?: LargeObjectSummary;
}

/**
 * Stores `body` as `dest` for the caller (who must be able to write there): replicas, then the listing row. Nothing is
 * visible unless the bytes reached a quorum whole (and matched `size`/`etag` when given).
 */
export async function storeObject(deps: ProxyDeps, req: FastifyRequest, dest: ObjectPath, body: Readable, opts: StoreOptions): Promise<ObjectMetadata> {
  const h = opts.headers ?? req.headers;
  const { container } = await containerFor(deps, req, 'object-write', dest);
  const { meta, contentType, deleteAt } = putMetadata(h, dest, opts.base);
  const quotas = 'quota-bytes' in container.meta || 'quota-count' in container.meta;
  if (get(h, 'if-none-match') === '*' || quotas) {
    const exists = await liveObject(deps, dest).then(() => true, () => false);
    if (exists && get(h, 'if-none-match') === '*') throw preconditionFailed();
    checkContainerQuota(container.meta, { bytes: container.bytesUsed, count: container.objectCount }, { size: opts.size ?? 0, newObject: !exists });
  }
  const versioning = versioningOf(container.sysmeta);
  if (versioning) await archiveCurrent(deps, dest, versioning);
  const timestamp = newTimestamp();
  // A body failing while the pending record is written must not be an uncaught 'error': the replicas meet it on read.
  body.on('error', () => undefined);
  // A crash between the replicas and the listing leaves the pending record; the object updater lists the object.
  return underPendingUpdate(deps, { ...dest, op: 'put', timestamp }, () => deps.replicas.put(dest, {
    timestamp, contentType, meta, ...(deleteAt !== undefined && deleteAt !== null ? { deleteAt } : {}),
    ...(opts.etag !== undefined ? { expectedEtag: opts.etag } : {}), ...(opts.size !== undefined ? { expectedSize: opts.size } : {}),
    ...(opts.objectManifest !== undefined ? { objectManifest: opts.objectManifest } : {}), ...(opts.slo ? { slo: opts.slo } : {}),
  }, body), (stored) => recordObject(deps.db, container.id, {
    name: dest.object, etag: listingEtag(stored.etag, stored.slo), bytes: stored.size, contentType: listingContentType(contentType, stored.slo),
    lastModified: timestampToIso(timestamp), timestamp, ...(stored.deleteAt !== undefined ? { deleteAt: stored.deleteAt } : {}),
  }));
}

/** Fails the stream once more than `max` bytes passed (a body whose length is not known up front). */
function limited(source: Readable, max: number): Readable {
  let received = 0;
  return pipeline(source, new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      done(received > max ? tooLarge(max) : null, chunk);
    },
  }), () => undefined);
}

const created = (reply: FastifyReply, stored: ObjectMetadata) => reply.header('etag', stored.etag)
  .header('last-modified', lastModifiedOf(stored.timestamp).header).header('x-timestamp', stored.timestamp);

/**
 * Copies `source` to `dest`: the caller must be able to read the source and write the destination. A large object is
 * copied as its assembled bytes (a plain object), or as a manifest with ?multipart-manifest=get.
 */
async function copy(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, source: ObjectPath, dest: ObjectPath, objectManifest?: string): Promise<FastifyReply> {
  await containerFor(deps, req, 'object-read', source);
  const base = await liveObject(deps, source);
  const max = deps.settings.maxFileSize;
  const manifestGet = (req.query as Record<string, unknown>)['multipart-manifest'] === 'get';
  const view = manifestGet ? undefined : await largeObjectView(deps, req, source, base);
  let stored: ObjectMetadata;
  if (view) {
    if (view.size !== undefined && view.size > max) throw tooLarge(max);
    const data = await view.read();
    const plain: ObjectMetadata = { ...base };
    delete plain.slo;
    delete plain.objectManifest;
    try {
      stored = await storeObject(deps, req, dest, limited(data, max), { ...(view.size !== undefined ? { size: view.size } : {}), base: plain, ...(objectManifest !== undefined ? { objectManifest } : {}) });
    } finally {
      data.destroy();
    }
  } else {
    if (base.size > max) throw tooLarge(max);
    const { data } = await deps.replicas.open(source, { verifyMaxBytes: deps.settings.verifyOnReadMaxBytes, wanted: base });
    try {
      stored = await storeObject(deps, req, dest, data, {
        size: base.size, etag: base.etag, base, ...(base.slo ? { slo: base.slo } : {}),
        ...(objectManifest ?? base.objectManifest) !== undefined ? { objectManifest: objectManifest ?? base.objectManifest } : {},
      });
    } finally {
      data.destroy();
    }
  }
  created(reply, stored);
  if (stored.slo) reply.header('etag', `"${stored.slo.etag}"`);
  return reply.code(201).header('x-copied-from', `${encodeURIComponent(source.container)}/${encodeURIComponent(source.object).replaceAll('%2F', '/')}`)
    .header('x-copied-from-last-modified', lastModifiedOf(base.timestamp).header).header('content-length', 0).type('text/html; charset=UTF-8').send();
}

function accountHeader(req: FastifyRequest, name: string, fallback: string): string {
  const v = header(req, name);
  if (v === undefined) return fallback;
  projectOfAccount(v);
  return v;
}

/** X-Static-Large-Object is set by a manifest PUT only (400 otherwise, as Swift answers). */
export function refuseSloHeader(req: FastifyRequest): void {
  if (header(req, 'x-static-large-object') !== undefined) {
    throw new BadRequest('X-Static-Large-Object is a reserved header. To create a static large object add query param multipart-manifest=put.');
  }
}

/** A request's X-Object-Manifest, checked (400 unless `<container>/<prefix>`). */
export function objectManifestHeader(req: FastifyRequest): string | undefined {
  const v = header(req, 'x-object-manifest');
  if (v !== undefined) checkObjectManifest(v);
  return v;
}

export async function putObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  if ((req.query as Record<string, unknown>)['multipart-manifest'] === 'put') return putSloManifest(deps, req, reply, path);
  refuseSloHeader(req);
  const objectManifest = objectManifestHeader(req);
  const copyFrom = header(req, 'x-copy-from');
  if (copyFrom !== undefined) {
    const src = parseCopyPath(copyFrom);
    return copy(deps, req, reply, { account: accountHeader(req, 'x-copy-from-account', path.account), ...src }, path, objectManifest);
  }
  const lengthText = header(req, 'content-length');
  const chunked = /chunked/i.test(header(req, 'transfer-encoding') ?? '');
  if (lengthText === undefined && !chunked) throw lengthRequired();
  const size = lengthText === undefined ? undefined : Number(lengthText);
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw new BadRequest('Invalid Content-Length header.');
  if (size !== undefined && size > deps.settings.maxFileSize) throw tooLarge(deps.settings.maxFileSize);
  const etag = header(req, 'etag')?.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  if (etag !== undefined && !/^[0-9a-f]{32}$/.test(etag)) throw new BadRequest('Invalid ETag header: expected an MD5 in hex.');
  const source = (req.body as Readable | undefined) ?? req.raw;
  // A chunked body has no length to check up front: count as it streams and fail past the size limit.
  const body = limited(source, deps.settings.maxFileSize);
  const stored = await storeObject(deps, req, path, body, { size, etag, ...(objectManifest !== undefined ? { objectManifest } : {}) });
  created(reply, stored);
  return reply.code(201).header('content-length', 0).type('text/html; charset=UTF-8').send();
}

export async function copyObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  refuseSloHeader(req);
  const objectManifest = objectManifestHeader(req);
  const destination = header(req, 'destination');
  if (destination === undefined) throw new BadRequest('Destination header required');
  const dest = parseCopyPath(destination);
  return copy(deps, req, reply, path, { account: accountHeader(req, 'destination-account', path.account), ...dest }, objectManifest);
}
