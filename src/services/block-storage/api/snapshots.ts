// Snapshots: create (of an available volume; of an in-use one only with force), list/detail, show, update, delete,
// and the admin reset-status action. The volume service makes the copy; the conductor records the outcome.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Snapshot } from '../domain/models.ts';
import { SNAPSHOTTABLE, SNAPSHOTTABLE_FORCED, SNAPSHOT_DELETABLE } from '../domain/volume-states.ts';
import { invalidSnapshot, invalidVolume, markerNotFound } from '../domain/errors.ts';
import { getSnapshot, updateSnapshot } from '../db/snapshots-repo.ts';
import { getMetadata } from '../db/metadata-repo.ts';
import { insertSnapshotWithinQuota } from '../db/quotas-repo.ts';
import { SNAPSHOT_SORT_KEYS, listSnapshots } from '../db/volume-list.ts';
import { getVolume } from '../db/volumes-repo.ts';
import { volumeServer } from '../rpc/volume-rpc.ts';
import { authorize, busContext, callerOf, loadSnapshot, loadVolume, pathProject } from './deps.ts';
import type { BlockStorageApiDeps } from './deps.ts';
import { snapshotDetail, nextLink } from './views.ts';
import { parseSort } from './volume-list.ts';
import { atLeast } from './microversion.ts';
import { toBool } from './schemas/common.ts';
import { createSnapshotBody, listSnapshotsQuery, snapshotActionBody, updateSnapshotBody } from './schemas/snapshots.ts';

const snapshotIdParam = (req: FastifyRequest): string => (req.params as { snapshot_id: string }).snapshot_id;

async function render(deps: BlockStorageApiDeps, req: FastifyRequest, s: Snapshot, detailed: boolean) {
  const view = snapshotDetail(req, s, await getMetadata(deps.db, 'snapshot_metadata', s.id));
  if (!detailed) for (const k of Object.keys(view)) if (k.startsWith('os-extended-snapshot-attributes:')) delete view[k];
  return view;
}

interface ListQuery {
  limit?: number; marker?: string; offset?: number; sort?: string; sort_key?: string; sort_dir?: 'asc' | 'desc'; all_tenants?: string;
  project_id?: string; name?: string; status?: string; volume_id?: string; with_count?: string;
}

async function list(deps: BlockStorageApiDeps, req: FastifyRequest, detailed: boolean) {
  const caller = callerOf(deps, req);
  const projectId = pathProject(req);
  authorize(deps, caller, 'volume:get_all_snapshots', projectId);
  const q = req.query as ListQuery;
  const allTenants = q.all_tenants !== undefined && toBool(q.all_tenants, 'all_tenants');
  if (allTenants || q.project_id) authorize(deps, caller, 'volume:get_all_tenants', projectId);
  const scope = allTenants ? q.project_id : (q.project_id ?? caller.projectId ?? projectId);
  const sort = parseSort(q, SNAPSHOT_SORT_KEYS);
  const limit = Math.min(q.limit ?? deps.settings.maxLimit, deps.settings.maxLimit);
  let marker;
  if (q.marker !== undefined) {
    marker = await getSnapshot(deps.db, q.marker);
    if (!marker || (scope !== undefined && marker.projectId !== scope)) throw markerNotFound(q.marker);
  }
  const { snapshots, count } = await listSnapshots(deps.db, { name: q.name, status: q.status, volumeId: q.volume_id },
    { projectId: scope, sortKey: sort.key, sortDir: sort.dir, limit, offset: q.offset, marker });
  const body: Record<string, unknown> = { snapshots: await Promise.all(snapshots.map((s) => render(deps, req, s, detailed))) };
  if (q.limit !== undefined && limit > 0 && snapshots.length === limit) {
    body.snapshots_links = nextLink(req, `/v3/${projectId}/snapshots${detailed ? '/detail' : ''}`, limit, snapshots.at(-1)!.id);
  }
  if (q.with_count !== undefined && atLeast(req, 45) && toBool(q.with_count, 'with_count')) body.count = count;
  return body;
}

interface CreateBody {
  snapshot: { volume_id: string; name?: string | null; description?: string | null; display_name?: string | null; display_description?: string | null;
    force?: boolean | string | null; metadata?: Record<string, string> | null };
}

export function registerSnapshots(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  const base = '/snapshots';
  app.get(base, { schema: { querystring: listSnapshotsQuery } }, async (req) => list(deps, req, false));
  app.get(`${base}/detail`, { schema: { querystring: listSnapshotsQuery } }, async (req) => list(deps, req, true));

  app.post(base, { schema: { body: createSnapshotBody } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = (req.body as CreateBody).snapshot;
    const v = await loadVolume(deps, caller, b.volume_id, 'volume:create_snapshot');
    const force = b.force === undefined || b.force === null ? false : toBool(b.force, 'force');
    const allowed = force ? SNAPSHOTTABLE_FORCED : SNAPSHOTTABLE;
    const refuse = (status: string) => invalidVolume(force ? `Volume ${v.id} status must be available or in-use, but current status is: ${status}.`
      : `Volume ${v.id} status must be available, but current status is: ${status}.`);
    if (!allowed.includes(v.status) || !v.host) throw refuse(v.status);
    const now = new Date().toISOString();
    const snapshot: Snapshot = {
      id: randomUUID(), projectId: v.projectId, userId: caller.userId, volumeId: v.id, name: b.name ?? b.display_name ?? null,
      description: b.description ?? b.display_description ?? null, size: v.size, status: 'creating', progress: '0%', providerLocation: null,
      createdAt: now, updatedAt: now,
    };
    if (!await insertSnapshotWithinQuota(deps.db, snapshot, b.metadata ?? {}, deps.settings.quotaDefaults, allowed)) {
      throw refuse((await getVolume(deps.db, v.id))?.status ?? 'deleted');
    }
    await deps.volume.cast('createSnapshot', {
      snapshot: { id: snapshot.id, volumeId: v.id, location: null }, volume: { id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation },
    }, busContext(req), { server: volumeServer(v.host) });
    return reply.code(202).send({ snapshot: await render(deps, req, snapshot, true) });
  });

  app.get(`${base}/:snapshot_id`, async (req) => {
    const s = await loadSnapshot(deps, callerOf(deps, req), snapshotIdParam(req), 'volume:get_snapshot');
    return { snapshot: await render(deps, req, s, true) };
  });

  app.put(`${base}/:snapshot_id`, { schema: { body: updateSnapshotBody } }, async (req) => {
    const s = await loadSnapshot(deps, callerOf(deps, req), snapshotIdParam(req), 'volume:update_snapshot');
    const b = (req.body as { snapshot: Record<string, string | null | undefined> }).snapshot;
    const name = b.name !== undefined ? b.name : b.display_name;
    const description = b.description !== undefined ? b.description : b.display_description;
    await updateSnapshot(deps.db, s.id, { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) });
    return { snapshot: await render(deps, req, (await getSnapshot(deps.db, s.id))!, true) };
  });

  async function remove(req: FastifyRequest, s: Snapshot, from: readonly string[] | undefined): Promise<void> {
    if ((from && !from.includes(s.status)) || s.status === 'deleting' || !await updateSnapshot(deps.db, s.id, { status: 'deleting' }, [s.status])) {
      throw invalidSnapshot(`Snapshot status must be available or error and must not be part of a group, currently ${s.status}.`);
    }
    const v = await getVolume(deps.db, s.volumeId);
    await deps.volume.cast('deleteSnapshot', { snapshot: { id: s.id, volumeId: s.volumeId, location: s.providerLocation }, reason: 'delete' },
      busContext(req), { server: volumeServer(v!.host!) });
  }

  app.delete(`${base}/:snapshot_id`, async (req, reply) => {
    const s = await loadSnapshot(deps, callerOf(deps, req), snapshotIdParam(req), 'volume:delete_snapshot');
    await remove(req, s, SNAPSHOT_DELETABLE);
    return reply.code(202).send();
  });

  app.post(`${base}/:snapshot_id/action`, { schema: { body: snapshotActionBody } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const s = await loadSnapshot(deps, caller, snapshotIdParam(req), 'volume:get_snapshot');
    authorize(deps, caller, 'volume_extension:snapshot_admin_actions:reset_status', s.projectId);
    const body = req.body as { 'os-reset_status'?: { status: string } };
    if (body['os-reset_status']) await updateSnapshot(deps.db, s.id, { status: body['os-reset_status'].status });
    else await remove(req, s, undefined);
    return reply.code(202).send();
  });
}
