// Object PUT (streamed to the replicas, or copied with X-Copy-From) and COPY (Destination): the bytes reach a quorum
// of replicas durably before the listing is updated and 201 is answered.
import { Transform, pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { recordObject } from '../db/listings-repo.ts';
import { guessContentType, validContentType } from '../domain/content-type.ts';
import { largeObjectsNotSupported, lengthRequired, preconditionFailed, tooLarge } from '../domain/errors.ts';
import { deleteAtFrom } from '../domain/expiry.ts';
import { checkMetaLimits, metaFromHeaders } from '../domain/metadata.ts';
import { projectOfAccount } from '../domain/names.ts';
import { checkContainerQuota } from '../domain/quotas.ts';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import type { ProxyDeps } from './deps.ts';
import { header, lastModifiedOf, newTimestamp, timestampToIso } from './deps.ts';
import { containerFor, liveObject } from './object-lookup.ts';
import type { ObjectPath } from './replicas.ts';
import { parseCopyPath } from './swift-path.ts';

const truthy = (v: string | undefined) => v !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.toLowerCase());

/** The metadata a PUT sets (meta, content type, delete-at) from its headers; `base` is a copy source's. */
function putMetadata(req: FastifyRequest, path: ObjectPath, base?: ObjectMetadata) {
  const changes = metaFromHeaders('object', req.headers);
  const fresh = truthy(header(req, 'x-fresh-metadata'));
  const meta: Record<string, string> = base && !fresh ? { ...base.meta } : {};
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) meta[k] = v; else delete meta[k];
  checkMetaLimits(meta);
  let contentType = header(req, 'content-type')?.trim();
  if (contentType !== undefined && !validContentType(contentType)) throw new BadRequest('Invalid Content-Type header.');
  if (!contentType || truthy(header(req, 'x-detect-content-type'))) contentType = base && !truthy(header(req, 'x-detect-content-type')) ? base.contentType : guessContentType(path.object);
  const deleteAt = deleteAtFrom({ at: header(req, 'x-delete-at'), after: header(req, 'x-delete-after') }, Date.now() / 1000);
  const inherited = base && !fresh ? base.deleteAt : undefined;
  return { meta, contentType, deleteAt: deleteAt ?? inherited };
}

async function store(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, dest: ObjectPath, body: Readable, opts: { size?: number; etag?: string; base?: ObjectMetadata }): Promise<ObjectMetadata> {
  const { container } = await containerFor(deps, req, 'object-write', dest);
  const { meta, contentType, deleteAt } = putMetadata(req, dest, opts.base);
  const quotas = 'quota-bytes' in container.meta || 'quota-count' in container.meta;
  if (header(req, 'if-none-match') === '*' || quotas) {
    const exists = await liveObject(deps, dest).then(() => true, () => false);
    if (exists && header(req, 'if-none-match') === '*') throw preconditionFailed();
    checkContainerQuota(container.meta, { bytes: container.bytesUsed, count: container.objectCount }, { size: opts.size ?? 0, newObject: !exists });
  }
  const timestamp = newTimestamp();
  const stored = await deps.replicas.put(dest, {
    timestamp, contentType, meta, ...(deleteAt !== undefined && deleteAt !== null ? { deleteAt } : {}),
    ...(opts.etag !== undefined ? { expectedEtag: opts.etag } : {}), ...(opts.size !== undefined ? { expectedSize: opts.size } : {}),
  }, body);
  await recordObject(deps.db, container.id, {
    name: dest.object, etag: stored.etag, bytes: stored.size, contentType, lastModified: timestampToIso(timestamp), timestamp,
    ...(stored.deleteAt !== undefined ? { deleteAt: stored.deleteAt } : {}),
  });
  reply.header('etag', stored.etag).header('last-modified', lastModifiedOf(timestamp).header).header('x-timestamp', timestamp);
  return stored;
}

/** Copies `source` to `dest`: the caller must be able to read the source and write the destination. */
async function copy(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, source: ObjectPath, dest: ObjectPath): Promise<FastifyReply> {
  await containerFor(deps, req, 'object-read', source);
  const base = await liveObject(deps, source);
  if (base.size > deps.settings.maxFileSize) throw tooLarge(deps.settings.maxFileSize);
  const { data } = await deps.replicas.open(source, { verifyMaxBytes: deps.settings.verifyOnReadMaxBytes, wanted: base });
  try {
    await store(deps, req, reply, dest, data, { size: base.size, etag: base.etag, base });
  } finally {
    data.destroy();
  }
  return reply.code(201).header('x-copied-from', `${encodeURIComponent(source.container)}/${encodeURIComponent(source.object).replaceAll('%2F', '/')}`)
    .header('x-copied-from-last-modified', lastModifiedOf(base.timestamp).header).header('content-length', 0).type('text/html; charset=UTF-8').send();
}

function accountHeader(req: FastifyRequest, name: string, fallback: string): string {
  const v = header(req, name);
  if (v === undefined) return fallback;
  projectOfAccount(v);
  return v;
}

/** Refuses the large-object forms (a DLO manifest header, an SLO manifest upload) with 501, before any byte is stored. */
export function refuseManifests(req: FastifyRequest): void {
  if (header(req, 'x-object-manifest') !== undefined) throw largeObjectsNotSupported('Dynamic Large Objects (X-Object-Manifest)');
  const q = req.query as Record<string, unknown>;
  if (req.method === 'PUT' && q['multipart-manifest'] !== undefined) throw largeObjectsNotSupported('Static Large Objects (multipart-manifest=put)');
}

export async function putObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  refuseManifests(req);
  const copyFrom = header(req, 'x-copy-from');
  if (copyFrom !== undefined) {
    const src = parseCopyPath(copyFrom);
    return copy(deps, req, reply, { account: accountHeader(req, 'x-copy-from-account', path.account), ...src }, path);
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
  let received = 0;
  const max = deps.settings.maxFileSize;
  const body = pipeline(source, new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      done(received > max ? tooLarge(max) : null, chunk);
    },
  }), () => undefined);
  await store(deps, req, reply, path, body, { size, etag });
  return reply.code(201).header('content-length', 0).type('text/html; charset=UTF-8').send();
}

export async function copyObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  const destination = header(req, 'destination');
  if (destination === undefined) throw new BadRequest('Destination header required');
  const dest = parseCopyPath(destination);
  return copy(deps, req, reply, path, { account: accountHeader(req, 'destination-account', path.account), ...dest });
}
