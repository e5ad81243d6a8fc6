// Server lists (GET /servers, /servers/detail) with Nova's filters per microversion: tags (2.26), changes-before
// (2.66), locked (2.73), the 2.83 filters for everyone, and from 2.75 a 400 for a query parameter Nova does not know.
import type { FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { vmStatesOf } from '../domain/vm-states.ts';
import { markerNotFound } from '../domain/errors.ts';
import { getInstance, listInstances } from '../db/instances-repo.ts';
import type { InstanceFilter } from '../db/instances-repo.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { timeBounds } from './query-time.ts';
import { serverDetail, serverSummary } from './server-views.ts';
import { truthy, viewsFor } from './servers.ts';
import { KNOWN_SERVER_LIST_PARAMS } from './schemas/servers.ts';

interface ListQuery {
  limit?: number; marker?: string; name?: string; status?: string; host?: string; image?: string; reservation_id?: string;
  all_tenants?: string; project_id?: string; tenant_id?: string; deleted?: string; 'changes-since'?: string; 'changes-before'?: string;
  tags?: string; 'tags-any'?: string; 'not-tags'?: string; 'not-tags-any'?: string; locked?: string; user_id?: string; key_name?: string;
  availability_zone?: string; config_drive?: string; power_state?: string; task_state?: string; vm_state?: string;
}

const FALSY = ['false', 'f', '0', 'no', 'n', 'off'];

function parseBool(field: string, v: string): boolean {
  if (truthy(v)) return true;
  if (FALSY.includes(v.toLowerCase())) return false;
  throw new BadRequest(`Invalid input for query parameters ${field}. Value: ${v}. Unrecognized value '${v}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`);
}

const tagList = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((t) => t.trim()).filter(Boolean));

/** The filters beyond Nova's basic ones, each from its microversion; admins may use the 2.83 ones at any version. */
function extendedFilters(req: FastifyRequest, q: ListQuery, privileged: boolean): Partial<InstanceFilter> {
  const f: Partial<InstanceFilter> = {};
  if (atLeast(req, 26)) f.tags = { all: tagList(q.tags), any: tagList(q['tags-any']), notAll: tagList(q['not-tags']), notAny: tagList(q['not-tags-any']) };
  if (atLeast(req, 73) && q.locked !== undefined) f.locked = parseBool('locked', q.locked);
  if (privileged || atLeast(req, 83)) {
    if (q.user_id !== undefined) f.userId = q.user_id;
    if (q.key_name !== undefined) f.keyName = q.key_name;
    if (q.availability_zone !== undefined) f.availabilityZone = q.availability_zone;
    if (q.config_drive !== undefined) f.configDrive = parseBool('config_drive', q.config_drive);
    if (q.task_state !== undefined) f.taskState = q.task_state;
    if (q.power_state !== undefined) {
      if (!/^[0-9]+$/.test(q.power_state)) throw new BadRequest(`Invalid input for query parameters power_state. Value: ${q.power_state}.`);
      f.powerState = Number(q.power_state);
    }
  }
  return f;
}

/** 2.75: a query parameter Nova's server lists do not know is a 400 (before, it was ignored). */
function rejectUnknownParams(req: FastifyRequest): void {
  if (!atLeast(req, 75)) return;
  const unknown = Object.keys(req.query as object).find((k) => !KNOWN_SERVER_LIST_PARAMS.has(k));
  if (unknown) throw new BadRequest(`Invalid input for query parameters ${unknown}. Additional properties are not allowed ('${unknown}' was unexpected)`);
}

/** GET /servers and /servers/detail: the caller's (or, for admins, any project's) servers, newest first, a page at a time. */
export async function listServers(deps: ComputeApiDeps, req: FastifyRequest, detailed: boolean) {
  const caller = callerOf(deps, req);
  const rule = detailed ? 'os_compute_api:servers:detail' : 'os_compute_api:servers:index';
  deps.policy.enforce(rule, caller.credentials, { project_id: caller.projectId });
  rejectUnknownParams(req);
  const q = req.query as ListQuery;
  const allTenants = q.all_tenants !== undefined && (q.all_tenants === '' || truthy(q.all_tenants));
  if (allTenants) deps.policy.enforce(`${rule}:get_all_tenants`, caller.credentials, { project_id: caller.projectId });
  const privileged = deps.policy.allowed('os_compute_api:servers:allow_all_filters', caller.credentials, { project_id: caller.projectId });
  // Admins may name another project; everyone else sees only their own (Nova ignores the filter for them).
  const projectId = allTenants ? (privileged ? q.project_id ?? q.tenant_id : undefined) : (privileged && (q.project_id ?? q.tenant_id)) || caller.projectId;
  if (!allTenants && !projectId) return detailed ? { servers: [] } : { servers: [] };
  const limit = Math.min(q.limit ?? deps.maxLimit, deps.maxLimit);
  if (q.marker !== undefined && !await getInstance(deps.db, q.marker, { includeDeleted: true })) throw markerNotFound(q.marker);
  let vmStates: string[] | undefined;
  if (q.status !== undefined) {
    vmStates = vmStatesOf(q.status);
    if (!vmStates.length && !atLeast(req, 38)) return { servers: [] };
    if (!vmStates.length) throw new BadRequest(`Invalid status value`);
  }
  if (q.vm_state !== undefined && (privileged || atLeast(req, 83))) vmStates = (vmStates ?? [q.vm_state]).filter((v) => v === q.vm_state);
  const extended = extendedFilters(req, q, privileged);
  // 2.66 changes-before; like changes-since, it includes deleted servers.
  const bounds = timeBounds(q['changes-since'], atLeast(req, 66) ? q['changes-before'] : undefined);
  if (bounds.before) extended.changesBefore = bounds.before;
  const deleted = q.deleted !== undefined && truthy(q.deleted) && privileged;
  const servers = await listInstances(deps.db, {
    projectId, name: q.name, vmStates, host: privileged ? q.host : undefined, imageRef: q.image, reservationId: q.reservation_id,
    changesSince: bounds.since, includeDeleted: q['changes-since'] !== undefined || extended.changesBefore !== undefined, onlyDeleted: deleted,
    afterUuid: q.marker, limit, ...extended,
  });
  const body: Record<string, unknown> = {
    servers: await (async () => {
      const opts = detailed ? await viewsFor(deps, caller, servers) : undefined;
      return servers.map((s) => (opts ? serverDetail(req, s, opts(s)) : serverSummary(req, s)));
    })(),
  };
  if (q.limit !== undefined && servers.length === limit && limit > 0) {
    const next = new URLSearchParams({ ...(req.query as Record<string, string>), limit: String(limit), marker: servers.at(-1)!.uuid });
    body.servers_links = [{ rel: 'next', href: `${req.protocol}://${req.headers.host ?? req.host}/v2.1/servers${detailed ? '/detail' : ''}?${next}` }];
  }
  return body;
}
