// PUT ?multipart-manifest=put: a Static Large Object manifest. The segment list is checked (slo-manifest.ts), every
// segment is looked up with the caller's rights and must match the ETag, size and range given; only then is the
// manifest stored, marked as an SLO with its large object's ETag and size. Any problem answers 4xx and stores nothing.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, StratusError, isStratusError } from '#lib/errors.ts';
import { bulkFormat, quoteName, renderBulkReport, statusLine } from '../domain/bulk-report.ts';
import { etagMismatch, lengthRequired } from '../domain/errors.ts';
import { checkContainerName, checkObjectName } from '../domain/names.ts';
import { SLO_LIMITS, parseManifest, resolveRange, sloEtag } from '../domain/slo-manifest.ts';
import type { ManifestEntry, StoredSegment } from '../domain/slo-manifest.ts';
import type { ProxyDeps } from './deps.ts';
import { header, lastModifiedOf } from './deps.ts';
import { containerFor, liveObject } from './object-lookup.ts';
import { storeObject } from './object-write.ts';
import type { ObjectPath } from './replicas.ts';
import { sendBulkReport } from './bulk-response.ts';
import { segmentContext } from './segment-reader.ts';
import type { SegmentContext } from './segment-reader.ts';

const manifestTooLarge = () => new StratusError(413, 'RequestEntityTooLarge', `Manifest File > ${SLO_LIMITS.maxManifestSize} bytes`);
/** Segments are looked up a few at a time, as Swift's slo middleware does. */
const HEAD_CONCURRENCY = 4;

type SegmentHead = { ok: true; size: number; etag: string; contentType: string; lastModified: string; slo: boolean } | { ok: false; status: string };

async function readManifestBody(req: FastifyRequest): Promise<string> {
  const source = (req.body as Readable | undefined) ?? req.raw;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    if (size > SLO_LIMITS.maxManifestSize) throw manifestTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What a HEAD of the segment tells the caller: a nested SLO shows its large object's size and ETag. */
async function headSegment(ctx: SegmentContext, path: string): Promise<SegmentHead> {
  const trimmed = path.replace(/^\/+/, '');
  const at = trimmed.indexOf('/');
  const target: ObjectPath = { account: ctx.manifest.account, container: trimmed.slice(0, at), object: trimmed.slice(at + 1) };
  try {
    checkContainerName(target.container);
    checkObjectName(target.object);
    await ctx.canRead(target);
    const m = await liveObject(ctx.deps, target);
    // Swift's last_modified: the Last-Modified second, as an ISO time without a zone.
    const lastModified = new Date(lastModifiedOf(m.metaTimestamp ?? m.timestamp).seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '.000000');
    return { ok: true, size: m.slo?.size ?? m.size, etag: m.slo?.etag ?? m.etag, contentType: m.contentType, lastModified, slo: m.slo !== undefined };
  } catch (err) {
    if (isStratusError(err) && err.status < 500) return { ok: false, status: statusLine(err.status) };
    throw err;
  }
}

/** Looks up each distinct segment path once, a few at a time. */
async function headAll(ctx: SegmentContext, paths: string[]): Promise<Map<string, SegmentHead>> {
  const out = new Map<string, SegmentHead>();
  const queue = [...new Set(paths)];
  const worker = async () => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) out.set(p, await headSegment(ctx, p));
  };
  await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, queue.length) }, worker));
  return out;
}

/** The stored segments and the large object's size, or the problems found (name, reason), in manifest order. */
function checkSegments(entries: ManifestEntry[], heads: Map<string, SegmentHead>, count: number) {
  const segments: StoredSegment[] = [];
  const problems: [string, string][] = [];
  let total = 0;
  for (const e of entries) {
    if (e.kind === 'data') {
      segments.push({ data: e.data.toString('base64') });
      total += e.data.length;
      continue;
    }
    const head = heads.get(e.path)!;
    const name = quoteName(e.path);
    if (!head.ok) {
      problems.push([name, head.status]);
      continue;
    }
    let length = head.size;
    let range: string | undefined;
    if (e.range) {
      const span = resolveRange(e.range, head.size);
      if (!span) problems.push([name, 'Unsatisfiable Range']);
      else if (span.start !== 0 || span.end !== head.size - 1) {
        range = `${span.start}-${span.end}`;
        length = span.end - span.start + 1;
      }
    }
    if (length < SLO_LIMITS.minSegmentSize && e.index !== count - 1) problems.push([name, 'Too small; each segment must be at least 1 byte.']);
    if (e.sizeBytes !== undefined && e.sizeBytes !== head.size) problems.push([name, 'Size Mismatch']);
    if (e.etag !== undefined && e.etag.replace(/^"(.*)"$/, '$1').toLowerCase() !== head.etag) problems.push([name, 'Etag Mismatch']);
    segments.push({
      name: `/${e.path.replace(/^\/+/, '')}`, bytes: head.size, hash: head.etag, content_type: head.contentType, last_modified: head.lastModified,
      ...(range !== undefined ? { range } : {}), ...(head.slo ? { sub_slo: true } : {}),
    });
    total += length;
  }
  return { segments, problems, total };
}

type Outcome = { kind: 'problems'; problems: [string, string][] } | { kind: 'stored'; etag: string; timestamp: string };

/** Looks the segments up, then stores the manifest if they are all as described. */
async function completeManifest(deps: ProxyDeps, req: FastifyRequest, path: ObjectPath, entries: ManifestEntry[]): Promise<Outcome> {
  const ctx = segmentContext(deps, req, path);
  const heads = await headAll(ctx, entries.flatMap((e) => (e.kind === 'object' ? [e.path] : [])));
  const { segments, problems, total } = checkSegments(entries, heads, entries.length);
  if (problems.length > 0) return { kind: 'problems', problems };
  const etag = sloEtag(segments);
  const clientEtag = header(req, 'etag')?.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  if (clientEtag && clientEtag !== etag) throw etagMismatch();
  const body = Buffer.from(JSON.stringify(segments));
  const stored = await storeObject(deps, req, path, Readable.from([body]), {
    size: body.length, etag: createHash('md5').update(body).digest('hex'), slo: { etag, size: total },
  });
  return { kind: 'stored', etag, timestamp: stored.timestamp };
}

export async function putSloManifest(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  if (header(req, 'x-copy-from') !== undefined) throw new StratusError(405, 'MethodNotAllowed', 'Multipart Manifest PUTs cannot be COPY requests');
  const lengthText = header(req, 'content-length');
  if (lengthText === undefined && !/chunked/i.test(header(req, 'transfer-encoding') ?? '')) throw lengthRequired();
  if (lengthText !== undefined && !/^\d+$/.test(lengthText)) throw new BadRequest('Invalid Content-Length header.');
  if (Number(lengthText ?? 0) > SLO_LIMITS.maxManifestSize) throw manifestTooLarge();
  await containerFor(deps, req, 'object-write', path);
  const entries = parseManifest(await readManifestBody(req), `/${path.container}/${path.object}`);
  if (entries.filter((e) => e.kind === 'object').length > SLO_LIMITS.maxManifestSegments) {
    throw new StratusError(413, 'RequestEntityTooLarge', `Number of object-backed segments must be <= ${SLO_LIMITS.maxManifestSegments}`);
  }
  const format = bulkFormat(header(req, 'accept')) ?? 'text/plain';
  const q = req.query as Record<string, unknown>;
  if (typeof q.heartbeat === 'string' && ['true', '1', 'yes', 'on', 't', 'y'].includes(q.heartbeat.toLowerCase())) {
    // 202 at once and whitespace while segments are checked; the outcome is in the body.
    return sendBulkReport(req, reply, {
      code: 202, root: 'upload', log: deps.log, fallbackFormat: true, fields: {},
      async work(report) {
        const outcome = await completeManifest(deps, req, path, entries);
        if (outcome.kind === 'problems') {
          report.fields = { 'Response Status': statusLine(400), 'Response Body': 'Bad Request' };
          report.errors = outcome.problems;
        } else {
          report.fields = { 'Response Status': statusLine(201), 'Response Body': '', Etag: `"${outcome.etag}"`, 'Last Modified': lastModifiedOf(outcome.timestamp).header };
        }
      },
    });
  }
  const outcome = await completeManifest(deps, req, path, entries);
  if (outcome.kind === 'problems') return reply.code(400).type(format).send(renderBulkReport(format, { fields: {}, errors: outcome.problems }, 'upload'));
  return reply.code(201).header('etag', `"${outcome.etag}"`).header('last-modified', lastModifiedOf(outcome.timestamp).header)
    .header('x-timestamp', outcome.timestamp).header('content-length', 0).type('text/html; charset=UTF-8').send();
}
