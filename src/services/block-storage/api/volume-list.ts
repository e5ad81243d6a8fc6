// GET /volumes and /volumes/detail: Cinder's filters (name, status, availability_zone, bootable, metadata,
// volume_type; all_tenants and project_id for admins), sort=key:dir, limit/marker/offset and with_count (3.45).
import type { FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { markerNotFound } from '../domain/errors.ts';
import { getVolume } from '../db/volumes-repo.ts';
import { VOLUME_SORT_KEYS, listVolumes } from '../db/volume-list.ts';
import type { VolumeFilters } from '../db/volume-list.ts';
import { authorize, callerOf, pathProject } from './deps.ts';
import type { BlockStorageApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { renderVolume } from './volume-render.ts';
import { nextLink, volumeSummary } from './views.ts';
import { findType } from './volume-types-lookup.ts';
import { listVolumesQuery } from './schemas/volumes.ts';
import { toBool } from './schemas/common.ts';

export { listVolumesQuery };

interface Query {
  limit?: number; marker?: string; offset?: number; sort?: string; sort_key?: string; sort_dir?: 'asc' | 'desc';
  all_tenants?: string; project_id?: string; name?: string; status?: string; availability_zone?: string; bootable?: string;
  metadata?: string; volume_type?: string; with_count?: string;
}

/** Parses `sort=key[:dir][,…]` (first key used, id breaks ties) or sort_key/sort_dir; default created_at desc. */
export function parseSort(q: { sort?: string; sort_key?: string; sort_dir?: 'asc' | 'desc' }, keys: string[]): { key: string; dir: 'asc' | 'desc' } {
  if (q.sort && (q.sort_key || q.sort_dir)) throw new BadRequest('The sort parameter cannot be used with the sort_key or sort_dir parameters.');
  const [key, dir] = q.sort ? q.sort.split(',')[0].split(':') : [q.sort_key ?? 'created_at', q.sort_dir ?? 'desc'];
  if (!keys.includes(key)) throw new BadRequest(`Invalid input received: Invalid sort key ${key}`);
  const d = (dir ?? 'desc').toLowerCase();
  if (d !== 'asc' && d !== 'desc') throw new BadRequest(`Invalid input received: Invalid sort direction ${dir}`);
  return { key, dir: d };
}

/** Cinder's metadata filter is a Python-dict-like string: {'k': 'v'} or JSON. */
function parseMetadataFilter(text: string): Record<string, string> {
  try {
    const parsed = JSON.parse(text.replaceAll("'", '"')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === 'string')) return parsed as Record<string, string>;
  } catch { /* falls through to the 400 */ }
  throw new BadRequest(`Invalid input received: metadata filter ${text} is not a dictionary of strings`);
}

export async function listVolumesPage(deps: BlockStorageApiDeps, req: FastifyRequest, detailed: boolean) {
  const caller = callerOf(deps, req);
  const projectId = pathProject(req);
  authorize(deps, caller, 'volume:get_all', projectId);
  const q = req.query as Query;
  const allTenants = q.all_tenants !== undefined && toBool(q.all_tenants, 'all_tenants');
  if (allTenants || q.project_id) authorize(deps, caller, 'volume:get_all_tenants', projectId);
  const scope = allTenants ? q.project_id : (q.project_id ?? caller.projectId ?? projectId);
  const sort = parseSort(q, VOLUME_SORT_KEYS);
  const limit = Math.min(q.limit ?? deps.settings.maxLimit, deps.settings.maxLimit);
  let marker;
  if (q.marker !== undefined) {
    marker = await getVolume(deps.db, q.marker);
    if (!marker || (scope !== undefined && marker.projectId !== scope)) throw markerNotFound(q.marker);
  }
  const filters: VolumeFilters = {
    name: q.name, status: q.status, availabilityZone: q.availability_zone,
    bootable: q.bootable === undefined ? undefined : toBool(q.bootable, 'bootable'),
    metadata: q.metadata === undefined ? undefined : parseMetadataFilter(q.metadata),
    volumeTypeId: q.volume_type === undefined ? undefined : (await findType(deps, caller, q.volume_type)).id,
  };
  const { volumes, count } = await listVolumes(deps.db, filters, { projectId: scope, sortKey: sort.key, sortDir: sort.dir, limit, offset: q.offset, marker });
  const body: Record<string, unknown> = {
    volumes: detailed ? await Promise.all(volumes.map((v) => renderVolume(deps, req, caller, v))) : volumes.map((v) => volumeSummary(req, v)),
  };
  if (limit > 0 && volumes.length === limit && (q.limit !== undefined || limit === deps.settings.maxLimit)) {
    body.volumes_links = nextLink(req, `/v3/${projectId}/volumes${detailed ? '/detail' : ''}`, limit, volumes.at(-1)!.id);
  }
  if (q.with_count !== undefined && atLeast(req, 45) && toBool(q.with_count, 'with_count')) body.count = count;
  return body;
}
