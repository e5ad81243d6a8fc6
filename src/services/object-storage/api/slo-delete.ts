// DELETE ?multipart-manifest=delete: an SLO manifest's segments (nested manifests' too), then the manifest itself,
// deleted with the caller's rights and reported as a bulk delete is.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, isStratusError } from '#lib/errors.ts';
import { statusLine } from '../domain/bulk-report.ts';
import { SLO_LIMITS, parseStoredManifest } from '../domain/slo-manifest.ts';
import { deleteAll, reportDeletes } from './bulk-deleter.ts';
import type { DeleteItem, DeleteTally } from './bulk-deleter.ts';
import { sendBulkReport } from './bulk-response.ts';
import type { ProxyDeps } from './deps.ts';
import { liveObject } from './object-lookup.ts';
import type { ObjectPath } from './replicas.ts';
import { segmentContext } from './segment-reader.ts';
import type { SegmentContext } from './segment-reader.ts';
import { readManifestText, segmentPath } from './slo-view.ts';

/** The segment names of the manifest `name`; what stops it from being read becomes the item's error. */
async function manifestSegments(ctx: SegmentContext, name: string): Promise<{ names: { name: string; subSlo: boolean }[] } | { error: DeleteItem['error'] }> {
  const path = segmentPath(ctx.manifest.account, name);
  try {
    await ctx.canRead(path);
    const m = await liveObject(ctx.deps, path);
    if (!m.slo) return { error: { status: 400, message: 'Not an SLO manifest' } };
    const segments = parseStoredManifest(await readManifestText(ctx.deps, path, m));
    return { names: segments.flatMap((s) => ('data' in s ? [] : [{ name: s.name, subSlo: s.sub_slo === true }])) };
  } catch (err) {
    if (!isStratusError(err)) throw err;
    if (err.status === 404) return { error: { status: 404, message: 'SLO manifest not found' } };
    if (err.status === 401 || err.status === 403) return { error: { status: err.status, message: statusLine(err.status) } };
    return { error: { status: 500, message: 'Unable to load SLO manifest or segment.' } };
  }
}

/** Segments before the manifests that list them, breadth first, as Swift orders them. */
async function* deletionOrder(ctx: SegmentContext, manifest: ObjectPath): AsyncGenerator<DeleteItem> {
  const queue: (DeleteItem & { subSlo: boolean })[] = [{ name: `/${manifest.container}/${manifest.object}`, subSlo: true }];
  while (queue.length > 0) {
    if (queue.length > SLO_LIMITS.maxManifestSegments * 10) throw new BadRequest('Too many buffered slo segments to delete.');
    const item = queue.shift()!;
    if (!item.subSlo) {
      yield item;
      continue;
    }
    const found = await manifestSegments(ctx, item.name);
    if ('names' in found) queue.push(...found.names.map((n) => ({ name: n.name, subSlo: n.subSlo })));
    queue.push({ name: item.name, subSlo: false, ...('error' in found ? { error: found.error } : {}) });
  }
}

export function deleteSloManifest(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): FastifyReply {
  return sendBulkReport(req, reply, {
    root: 'delete', log: deps.log,
    fields: { 'Response Status': statusLine(200), 'Response Body': '', 'Number Deleted': 0, 'Number Not Found': 0 },
    async work(report) {
      const tally: DeleteTally = { deleted: 0, notFound: 0, errors: [], serverError: false };
      try {
        await deleteAll(deps, req, path.account, deletionOrder(segmentContext(deps, req, path), path), tally);
      } finally {
        reportDeletes(report, tally);
      }
    },
  });
}
