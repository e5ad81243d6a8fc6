// GET and HEAD of a large object (an SLO or DLO manifest read without ?multipart-manifest=get): the large object's
// ETag and length, preconditions against that ETag, ranges across segments, and its bytes.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { checkPreconditions, parseRanges } from '../domain/conditions.ts';
import { rawManifest, parseStoredManifest } from '../domain/slo-manifest.ts';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import type { ProxyDeps } from './deps.ts';
import { lastModifiedOf } from './deps.ts';
import { dloView } from './dlo-view.ts';
import { multipartByteranges } from './byteranges.ts';
import type { ObjectPath } from './replicas.ts';
import { segmentContext } from './segment-reader.ts';
import type { LargeObjectView } from './segment-reader.ts';
import { readManifestText, sloView } from './slo-view.ts';

/** The large object a manifest stands for; undefined for a plain object. */
export async function largeObjectView(deps: ProxyDeps, req: FastifyRequest, path: ObjectPath, m: ObjectMetadata): Promise<LargeObjectView | undefined> {
  const ctx = segmentContext(deps, req, path);
  if (m.slo) return sloView(ctx, { ...m, slo: m.slo });
  if (m.objectManifest !== undefined) return dloView(ctx, req, { ...m, objectManifest: m.objectManifest });
  return undefined;
}

/** Answers a GET or HEAD of a large object; the manifest's own headers are already on the reply. */
export async function serveLargeObject(req: FastifyRequest, reply: FastifyReply, m: ObjectMetadata, view: LargeObjectView): Promise<FastifyReply> {
  if (view.etag === undefined) reply.removeHeader('etag');
  reply.headers(view.headers);
  checkPreconditions(req.headers, { etag: view.etag ?? '', lastModified: lastModifiedOf(m.metaTimestamp ?? m.timestamp).seconds }, true);
  const { size } = view;
  if (req.method === 'HEAD') {
    if (size !== undefined) reply.header('content-length', size);
    return reply.code(200).send();
  }
  const ranges = size === undefined ? undefined : parseRanges(req.headers.range, size);
  if (!ranges || (ranges.length > 1 && !view.multipleRanges)) {
    const body = await view.read();
    if (size !== undefined) reply.header('content-length', size);
    return reply.code(200).send(body);
  }
  const total = size ?? 0;
  if (ranges.length === 1) {
    const [r] = ranges;
    const body = await view.read(r);
    return reply.code(206).header('content-range', `bytes ${r.start}-${r.end}/${total}`).header('content-length', r.end - r.start + 1).send(body);
  }
  const first = await view.read(ranges[0]);
  const { boundary, length, body } = multipartByteranges({ contentType: m.contentType, size: total, ranges, openRange: (r) => view.read(r), first });
  return reply.code(206).header('content-type', `multipart/byteranges;boundary=${boundary}`).header('content-length', length).send(body);
}

/** `?multipart-manifest=get&format=raw` of an SLO: the manifest as it could be PUT again, with its own ETag. */
export async function serveRawManifest(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath, m: ObjectMetadata): Promise<FastifyReply> {
  const body = Buffer.from(rawManifest(parseStoredManifest(await readManifestText(deps, path, m))));
  reply.header('etag', createHash('md5').update(body).digest('hex')).header('content-length', body.length);
  return reply.code(200).send(req.method === 'HEAD' ? undefined : body);
}
