// DELETE ?multipart-manifest=delete&async=yes (Swift 2.30's slo allow_async_delete): the manifest is deleted at once
// (204) and its segments are handed to the object expirer, which removes them on its next pass. Like Swift, this needs
// every segment in one container and none a large object itself, and the caller's write access to both containers.
// The hand-over is an X-Delete-At of now on each segment (replicas and listing), so it survives a restart and a
// segment uploaded again in the meantime is left alone by the expirer.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { getContainer } from '../db/containers-repo.ts';
import { updateListedObject } from '../db/listings-repo.ts';
import { parseStoredManifest } from '../domain/slo-manifest.ts';
import { authorize } from './access.ts';
import type { ProxyDeps } from './deps.ts';
import { newTimestamp } from './deps.ts';
import { containerFor, liveObject } from './object-lookup.ts';
import { removeObjectAt } from './object-meta.ts';
import type { ObjectPath } from './replicas.ts';
import { readManifestText, segmentPath } from './slo-view.ts';

/** Segments scheduled at once: their metadata updates are small, and a manifest may list thousands. */
const CONCURRENCY = 8;

/** Whether the request asks for an async SLO delete (Swift's config_true_value of ?async). */
export const wantsAsyncDelete = (q: Record<string, unknown>): boolean =>
  typeof q.async === 'string' && ['true', '1', 'yes', 'on', 't', 'y'].includes(q.async.toLowerCase());

/** Gives one segment to the expirer: it expires now (a segment already gone is skipped). */
async function expireNow(deps: ProxyDeps, path: ObjectPath, containerId: string, nowSeconds: number): Promise<void> {
  const state = await deps.replicas.head(path);
  if (state?.kind !== 'object') return;
  if (await deps.replicas.post(path, { timestamp: newTimestamp(), meta: state.metadata.meta, deleteAt: nowSeconds })) {
    await updateListedObject(deps.db, containerId, path.object, { deleteAt: nowSeconds });
  }
}

export async function deleteSloAsync(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  await containerFor(deps, req, 'object-write', path);
  const m = await liveObject(deps, path);
  if (!m.slo) throw new BadRequest('Not an SLO manifest');
  const segments = parseStoredManifest(await readManifestText(deps, path, m)).flatMap((s) => ('data' in s ? [] : [s]));
  if (segments.length > 0) {
    const containers = [...new Set(segments.map((s) => segmentPath(path.account, s.name).container))];
    if (containers.length > 1) throw new BadRequest(`All segments must be in one container. Found segments in ${containers.map(encodeURIComponent).join(', ')}`);
    if (segments.some((s) => s.sub_slo)) throw new BadRequest('No segments may be large objects.');
    const segmentContainer = await getContainer(deps.db, path.account, containers[0]);
    authorize(deps, req, 'object-write', path.account, segmentContainer);
    if (segmentContainer) {
      const now = Math.floor(Date.now() / 1000);
      const queue = segments.map((s) => segmentPath(path.account, s.name));
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        for (let p = queue.shift(); p; p = queue.shift()) await expireNow(deps, p, segmentContainer.id, now);
      }));
    }
  }
  await removeObjectAt(deps, req, path);
  return reply.code(204).type('text/html; charset=UTF-8').send();
}
