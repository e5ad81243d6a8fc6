// Object GET and HEAD: headers from the stored metadata, preconditions, and the bytes — whole, one range (206) or
// several ranges as multipart/byteranges — streamed from the first replica that can serve them. A large object
// manifest serves the large object (large-object-read.ts) unless ?multipart-manifest=get asks for the manifest.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { checkPreconditions, parseRanges } from '../domain/conditions.ts';
import { metaHeaders } from '../domain/metadata.ts';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import { multipartByteranges } from './byteranges.ts';
import type { ProxyDeps } from './deps.ts';
import { lastModifiedOf } from './deps.ts';
import { largeObjectView, serveLargeObject, serveRawManifest } from './large-object-read.ts';
import { containerFor, liveObject } from './object-lookup.ts';
import type { ObjectPath } from './replicas.ts';
import { tempUrlDisposition } from './tempurl.ts';

export function objectHeaders(m: ObjectMetadata): Record<string, string> {
  return {
    'content-type': m.contentType, etag: m.etag, 'last-modified': lastModifiedOf(m.metaTimestamp ?? m.timestamp).header,
    'x-timestamp': m.timestamp, 'accept-ranges': 'bytes', ...(m.deleteAt !== undefined ? { 'x-delete-at': String(m.deleteAt) } : {}),
    ...(m.objectManifest !== undefined ? { 'x-object-manifest': m.objectManifest } : {}), ...(m.slo ? { 'x-static-large-object': 'True' } : {}),
    ...metaHeaders('object', m.meta),
  };
}

export async function readObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  await containerFor(deps, req, 'object-read', path).catch(async (err: unknown) => {
    // Object reads do not need the container row to exist for the project's own users (Swift reads without it).
    if ((err as { status?: number }).status !== 404) throw err;
  });
  const m = await liveObject(deps, path);
  const q = req.query as Record<string, unknown>;
  const manifestGet = q['multipart-manifest'] === 'get';
  const view = manifestGet ? undefined : await largeObjectView(deps, req, path, m);
  reply.headers(objectHeaders(m));
  const disposition = tempUrlDisposition(req, path.object);
  if (disposition) reply.header('content-disposition', disposition);
  if (view) return serveLargeObject(req, reply, m, view);
  if (m.slo) {
    // The manifest itself: its JSON as stored, or as it was PUT with format=raw.
    reply.header('content-type', 'application/json; charset=utf-8');
    if (q.format === 'raw') return serveRawManifest(deps, req, reply, path, m);
  }
  checkPreconditions(req.headers, { etag: m.etag, lastModified: lastModifiedOf(m.metaTimestamp ?? m.timestamp).seconds }, true);
  if (req.method === 'HEAD') return reply.code(200).header('content-length', m.size).send();
  const ranges = parseRanges(req.headers.range, m.size);
  const open = async (range?: { start: number; end: number }) =>
    (await deps.replicas.open(path, { ...(range ? { range } : {}), verifyMaxBytes: deps.settings.verifyOnReadMaxBytes, wanted: m })).data;
  if (!ranges) return reply.code(200).header('content-length', m.size).send(await open());
  if (ranges.length === 1) {
    const [r] = ranges;
    return reply.code(206).header('content-range', `bytes ${r.start}-${r.end}/${m.size}`).header('content-length', r.end - r.start + 1).send(await open(r));
  }
  const { boundary, length, body } = multipartByteranges({ contentType: m.contentType, size: m.size, ranges, openRange: open });
  return reply.code(206).header('content-type', `multipart/byteranges;boundary=${boundary}`).header('content-length', length).send(body);
}
