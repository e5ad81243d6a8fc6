// /v2/images/{id}/file: streaming upload into the store and streaming download, with Range and Content-MD5.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { BadRequest, StratusError } from '#lib/errors.ts';
import { deactivatedDownload, rangeNotSatisfiable } from '../domain/errors.ts';
import type { ByteRange, ImageStore } from '../stores/store.ts';
import { uploadImageData } from '../provider/upload.ts';
import { createBufferReclaimer } from '../provider/buffer-reclaim.ts';
import type { ImageApiDeps } from './deps.ts';
import { authorize, callerOf, idParam, loadVisible } from './deps.ts';

const OCTET_STREAM = 'application/octet-stream';

/** One `bytes=` range of an image of `size` bytes; undefined for a header we ignore (as HTTP allows), 416 if unsatisfiable. */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number, end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw rangeNotSatisfiable(size);
  return { start, end };
}

type DataWriter = (deps: ImageApiDeps, image: Parameters<typeof uploadImageData>[1], data: Readable, opts: { contentLength?: number }) => Promise<unknown>;

/**
 * The two data PUTs (file and stage): octet-stream only, the caller may upload to the image, and the request stream
 * goes to `write` unbuffered.
 */
export async function receiveImageData(deps: ImageApiDeps, req: FastifyRequest, reply: FastifyReply, write: DataWriter): Promise<void> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== OCTET_STREAM) throw new StratusError(415, 'UnsupportedMediaType', `Image data must be sent as ${OCTET_STREAM}, not ${contentType || '(no content type)'}.`);
  const caller = callerOf(deps, req);
  const { image, target } = await loadVisible(deps, caller, idParam(req));
  authorize(deps, caller, 'upload_image', target);
  const length = req.headers['content-length'];
  try {
    await write(deps, image, (req.body as Readable | undefined) ?? req.raw, { contentLength: length === undefined ? undefined : Number(length) });
  } catch (err) {
    // The rest of the body was not read (or the request stream was destroyed): the connection cannot carry another
    // request, so the error answer closes it rather than let the client reuse it and meet a reset.
    if (!req.raw.complete) reply.raw.shouldKeepAlive = false;
    throw err;
  }
}

/** The store X-Image-Meta-Store names (Glance's multi-store upload), undefined for the default; 400 for an unknown one. */
export function requestedStore(deps: ImageApiDeps, req: FastifyRequest): ImageStore | undefined {
  const id = req.headers['x-image-meta-store'];
  return id === undefined ? undefined : storeNamed(deps, id);
}

/** The configured store `id` names; 400 for anything else. */
export function storeNamed(deps: ImageApiDeps, id: unknown): ImageStore {
  const store = typeof id === 'string' ? deps.store.byId(id.trim()) : undefined;
  if (!store) throw new BadRequest(`Store for identifier ${String(id)} not found: this cloud's stores are ${deps.store.stores.map((s) => s.id).join(', ')} (GET /v2/info/stores).`);
  return store;
}

export function registerImageData(app: FastifyInstance, deps: ImageApiDeps): void {
  // Image data is never buffered: the handler gets the request stream itself.
  app.addContentTypeParser(OCTET_STREAM, (_req, payload, done) => done(null, payload));

  app.put('/v2/images/:image_id/file', async (req: FastifyRequest, reply) => {
    const store = requestedStore(deps, req);
    await receiveImageData(deps, req, reply, (d, image, data, opts) => uploadImageData(d, image, data, { ...opts, store }));
    return reply.code(204).send();
  });

  app.get('/v2/images/:image_id/file', async (req, reply) => {
    const caller = callerOf(deps, req);
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'download_image', target);
    if (image.status === 'deactivated' && !caller.isAdmin) throw deactivatedDownload();
    if (image.locations.length === 0 || image.size === null || (image.status !== 'active' && image.status !== 'deactivated')) return reply.code(204).send();
    const range = parseRange(req.headers.range, image.size);
    // The first copy a store serves; a copy whose store fails is skipped (and logged), as Glance tries each location.
    const { stream: data, skipped } = await deps.store.openFirst(image.locations, range);
    for (const s of skipped) req.log.warn({ err: s.error, imageId: image.id, store: s.location.store }, 'image copy unreadable; serving the next one');
    reply.header('content-type', OCTET_STREAM);
    if (image.checksum) reply.header('content-md5', image.checksum);
    if (range) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${image.size}`);
      reply.header('content-length', range.end - range.start + 1);
    } else {
      reply.header('content-length', image.size);
    }
    // Each read's buffer is garbage once on the socket; collect them while few, as uploads do (buffer-reclaim.ts).
    // Paused first, so counting does not start the flow before the reply pipes the stream (which resumes it).
    const reclaimer = createBufferReclaimer();
    data.pause();
    data.on('data', (chunk: Buffer) => reclaimer.add(chunk.length));
    return reply.send(data);
  });
}
