// os-simple-tenant-usage: what each project's servers used over a period (hours, and vCPU/RAM/disk hours), from the
// instance records, deleted servers included — `openstack usage list/show`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import type { Instance } from '../domain/instance.ts';
import { statusOf } from '../domain/vm-states.ts';
import { listInstances } from '../db/instances-repo.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';

function parseTime(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  if (Number.isNaN(t)) throw new BadRequest(`Invalid input for query parameters ${name}. Value: ${text}.`);
  return t;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '');

function serverUsage(i: Instance, start: number, end: number, now: number) {
  const began = Date.parse(i.launchedAt ?? i.createdAt);
  const ended = i.terminatedAt ? Date.parse(i.terminatedAt) : null;
  const from = Math.max(start, began);
  const to = Math.min(end, ended ?? now);
  const hours = Math.max(0, to - from) / 3_600_000;
  return {
    instance_id: i.uuid, name: i.name, hours, memory_mb: i.flavor.ram, local_gb: i.flavor.disk, vcpus: i.flavor.vcpus, tenant_id: i.projectId,
    flavor: i.flavor.name, started_at: iso(began), ended_at: ended === null ? null : iso(ended),
    state: i.deleted ? 'terminated' : statusOf(i.vmState, i.taskState).toLowerCase(), uptime: Math.round((Math.min(now, ended ?? now) - began) / 1000),
  };
}

async function usages(deps: ComputeApiDeps, req: FastifyRequest, projectId: string | undefined) {
  const q = req.query as { start?: string; end?: string; detailed?: string };
  const now = Date.now();
  const end = parseTime(q.end, now, 'end');
  const start = parseTime(q.start, end - 24 * 3_600_000, 'start');
  if (start > end) throw new BadRequest('Invalid start time. The start time cannot occur after the end time.');
  const all = await listInstances(deps.db, { projectId, includeDeleted: true, limit: 100_000 });
  const byProject = new Map<string, ReturnType<typeof serverUsage>[]>();
  for (const i of all) {
    const began = Date.parse(i.launchedAt ?? i.createdAt);
    if (began > end || (i.terminatedAt && Date.parse(i.terminatedAt) < start)) continue;
    const list = byProject.get(i.projectId) ?? [];
    list.push(serverUsage(i, start, end, now));
    byProject.set(i.projectId, list);
  }
  const detailed = q.detailed === '1' || q.detailed === 'true';
  return [...byProject].map(([tenant, servers]) => ({
    tenant_id: tenant, start: iso(start), stop: iso(end),
    total_hours: servers.reduce((t, s) => t + s.hours, 0),
    total_vcpus_usage: servers.reduce((t, s) => t + s.hours * s.vcpus, 0),
    total_memory_mb_usage: servers.reduce((t, s) => t + s.hours * s.memory_mb, 0),
    total_local_gb_usage: servers.reduce((t, s) => t + s.hours * s.local_gb, 0),
    ...(detailed || projectId ? { server_usages: servers } : {}),
  }));
}

export function registerUsage(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/os-simple-tenant-usage', async (req) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-simple-tenant-usage:list', caller.credentials, { project_id: caller.projectId });
    return { tenant_usages: await usages(deps, req, undefined) };
  });
  app.get('/v2.1/os-simple-tenant-usage/:project_id', async (req) => {
    const caller = callerOf(deps, req);
    const projectId = (req.params as { project_id: string }).project_id;
    deps.policy.enforce('os_compute_api:os-simple-tenant-usage:show', caller.credentials, { project_id: projectId });
    const [usage] = await usages(deps, req, projectId);
    return { tenant_usage: usage ?? {} };
  });
}
