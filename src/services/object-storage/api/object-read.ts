// Object GET and HEAD: headers from the stored metadata, preconditions, and the bytes — whole, one range (206) or
// several ranges as multipart/byteranges — streamed from the first replica that can serve them.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { checkPreconditions, parseRanges } from '../domain/conditions.ts';
import type { ByteRange } from '../domain/conditions.ts';
import { metaHeaders } from '../domain/metadata.ts';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import type { ProxyDeps } from './deps.ts';
import { lastModifiedOf } from './deps.ts';
import { containerFor, liveObject } from './object-lookup.ts';
import type { ObjectPath } from './replicas.ts';
import { tempUrlDisposition } from './tempurl.ts';

export function objectHeaders(m: ObjectMetadata): Record<string, string> {
  return {
    'content-type': m.contentType, etag: m.etag, 'last-modified': lastModifiedOf(m.metaTimestamp ?? m.timestamp).header,
    'x-timestamp': m.timestamp, 'accept-ranges': 'bytes', ...(m.deleteAt !== undefined ? { 'x-delete-at': String(m.deleteAt) } : {}),
    ...metaHeaders('object', m.meta),
  };
}

/** The parts of a multipart/byteranges body, streamed range by range; its length is known up front. */
function multipart(deps: ProxyDeps, path: ObjectPath, m: ObjectMetadata, ranges: ByteRange[]): { boundary: string; length: number; body: Readable } {
  const boundary = randomBytes(16).toString('hex');
  const head = (r: ByteRange) => `--${boundary}\r\nContent-Type: ${m.contentType}\r\nContent-Range: bytes ${r.start}-${r.end}/${m.size}\r\n\r\n`;
  const tail = `--${boundary}--`;
  const length = ranges.reduce((s, r) => s + Buffer.byteLength(head(r)) + (r.end - r.start + 1) + 2, 0) + tail.length;
  async function* parts() {
    for (const r of ranges) {
      yield Buffer.from(head(r));
      const { data } = await deps.replicas.open(path, { range: r, verifyMaxBytes: deps.settings.verifyOnReadMaxBytes, wanted: m });
      for await (const chunk of data) yield chunk as Buffer;
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(tail);
  }
  return { boundary, length, body: Readable.from(parts(), { objectMode: false }) };
}

export async function readObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  await containerFor(deps, req, 'object-read', path).catch(async (err: unknown) => {
    // Object reads do not need the container row to exist for the project's own users (Swift reads without it).
    if ((err as { status?: number }).status !== 404) throw err;
  });
  const m = await liveObject(deps, path);
  reply.headers(objectHeaders(m));
  const disposition = tempUrlDisposition(req, path.object);
  if (disposition) reply.header('content-disposition', disposition);
  checkPreconditions(req.headers, { etag: m.etag, lastModified: lastModifiedOf(m.metaTimestamp ?? m.timestamp).seconds }, true);
  if (req.method === 'HEAD') return reply.code(200).header('content-length', m.size).send();
  const ranges = parseRanges(req.headers.range, m.size);
  if (!ranges) {
    const { data } = await deps.replicas.open(path, { verifyMaxBytes: deps.settings.verifyOnReadMaxBytes, wanted: m });
    return reply.code(200).header('content-length', m.size).send(data);
  }
  if (ranges.length === 1) {
    const [r] = ranges;
    const { data } = await deps.replicas.open(path, { range: r, verifyMaxBytes: deps.settings.verifyOnReadMaxBytes, wanted: m });
    return reply.code(206).header('content-range', `bytes ${r.start}-${r.end}/${m.size}`).header('content-length', r.end - r.start + 1).send(data);
  }
  const { boundary, length, body } = multipart(deps, path, m, ranges);
  return reply.code(206).header('content-type', `multipart/byteranges;boundary=${boundary}`).header('content-length', length).send(body);
}
