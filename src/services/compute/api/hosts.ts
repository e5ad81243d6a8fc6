// os-services and os-hypervisors (2.53+ ids are uuids): what runs where and what each node offers, from the agents'
// heartbeats and node reports and the servers placed on them.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { hypervisorNotFound, serviceNotFound } from '../domain/errors.ts';
import { deleteService, getNode, getService, listNodes, listServices, nodeUsage, updateService } from '../db/hosts-repo.ts';
import type { ComputeNodeRow, ComputeServiceRow } from '../db/tables.ts';
import { hostZones } from '../db/aggregates-repo.ts';
import { AGENT_BINARY, INTERNAL_ZONE, zoneOf } from '../domain/zones.ts';
import { serviceIsUp } from '../domain/service-status.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';

const time = (t: string | null): string | null => (t ? t.replace(/Z$/, '') : null);

function isUp(s: ComputeServiceRow, downMs: number): boolean {
  return serviceIsUp(s, Date.now(), downMs);
}

function serviceView(req: FastifyRequest, s: ComputeServiceRow, downMs: number, zones: Map<string, string>): Record<string, unknown> {
  return {
    id: s.id, binary: s.binary, host: s.host, zone: s.binary === AGENT_BINARY ? zoneOf(s.host, zones) : INTERNAL_ZONE,
    status: s.disabled ? 'disabled' : 'enabled', state: isUp(s, downMs) ? 'up' : 'down', updated_at: time(s.updated_at),
    disabled_reason: s.disabled_reason, ...(atLeast(req, 11) ? { forced_down: Boolean(s.forced_down) } : {}),
  };
}

const admin = (deps: ComputeApiDeps, req: FastifyRequest, rule: string) => {
  const caller = callerOf(deps, req);
  deps.policy.enforce(rule, caller.credentials, { project_id: caller.projectId });
};

export function registerHosts(app: FastifyInstance, deps: ComputeApiDeps): void {
  const down = deps.serviceDownTimeMs;

  app.get('/v2.1/os-services', async (req) => {
    admin(deps, req, 'os_compute_api:os-services:list');
    const q = req.query as { host?: string; binary?: string };
    const zones = await hostZones(deps.db);
    return { services: (await listServices(deps.db, { host: q.host, binary: q.binary })).map((s) => serviceView(req, s, down, zones)) };
  });

  app.put('/v2.1/os-services/:id', { schema: { body: { type: 'object', additionalProperties: false, properties: {
    status: { type: 'string', enum: ['enabled', 'disabled'] }, disabled_reason: { type: 'string', minLength: 1, maxLength: 255 },
    forced_down: { type: 'boolean' },
  } } } }, async (req) => {
    if (!atLeast(req, 53)) throw new BadRequest('Service updates by id need microversion 2.53 or later.');
    admin(deps, req, 'os_compute_api:os-services:update');
    const id = (req.params as { id: string }).id;
    const service = await getService(deps.db, id);
    if (!service) throw serviceNotFound(id);
    const b = req.body as { status?: string; disabled_reason?: string; forced_down?: boolean };
    if (b.status === undefined && b.forced_down === undefined) throw new BadRequest('At least one of status or forced_down must be specified.');
    if (b.disabled_reason !== undefined && b.status !== 'disabled') throw new BadRequest('Specifying \'disabled_reason\' with status other than \'disabled\' is not supported.');
    await updateService(deps.db, id, {
      ...(b.status ? { disabled: b.status === 'disabled', disabled_reason: b.status === 'disabled' ? (b.disabled_reason ?? null) : null } : {}),
      ...(b.forced_down !== undefined ? { forced_down: b.forced_down } : {}),
    });
    return { service: serviceView(req, (await getService(deps.db, id))!, down, await hostZones(deps.db)) };
  });

  app.delete('/v2.1/os-services/:id', async (req, reply) => {
    admin(deps, req, 'os_compute_api:os-services:delete');
    const id = (req.params as { id: string }).id;
    if (!await getService(deps.db, id)) throw serviceNotFound(id);
    await deleteService(deps.db, id);
    return reply.code(204).send();
  });

  /** The host's uptime line from its agent; null when the agent is down or silent (Nova shows None then). */
  async function uptimeOf(req: FastifyRequest, n: ComputeNodeRow, s: ComputeServiceRow | undefined): Promise<string | null> {
    if (!s || !isUp(s, down)) return null;
    return deps.agents.call('get_host_uptime', {}, toBusContext(req.ctx), { server: n.host, timeoutMs: 5_000 }).catch(() => null);
  }

  async function hypervisors(detailed: boolean, req: FastifyRequest, only?: string) {
    const nodes = (await listNodes(deps.db)).filter((n) => !only || n.uuid === only);
    const services = new Map((await listServices(deps.db, { binary: 'nova-compute' })).map((s) => [s.host, s]));
    const usage = await nodeUsage(deps.db);
    const withUptime = detailed && atLeast(req, 88);
    return Promise.all(nodes.map(async (n) => {
      const view = hypervisorView(req, n, services.get(n.host), usage.get(n.hypervisor_hostname), detailed, down);
      return withUptime ? { ...view, uptime: await uptimeOf(req, n, services.get(n.host)) } : view;
    }));
  }

  app.get('/v2.1/os-hypervisors', async (req) => {
    admin(deps, req, 'os_compute_api:os-hypervisors:list');
    return { hypervisors: await hypervisors(false, req) };
  });
  app.get('/v2.1/os-hypervisors/detail', async (req) => {
    admin(deps, req, 'os_compute_api:os-hypervisors:list-detail');
    return { hypervisors: await hypervisors(true, req) };
  });
  app.get('/v2.1/os-hypervisors/statistics', async (req) => {
    if (atLeast(req, 88)) throw new NotFound('The resource could not be found.'); // removed in 2.88
    admin(deps, req, 'os_compute_api:os-hypervisors:statistics');
    const all = await hypervisors(true, req);
    const sum = (k: string) => all.reduce((t, h) => t + Number(h[k] ?? 0), 0);
    return { hypervisor_statistics: Object.fromEntries(['count', 'vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used', 'local_gb_used',
      'free_ram_mb', 'free_disk_gb', 'current_workload', 'running_vms', 'disk_available_least'].map((k) => [k, k === 'count' ? all.length : sum(k)])) };
  });
  // Before 2.88: the detail view plus the host's uptime line; 2.88 folds uptime into show and detail.
  app.get('/v2.1/os-hypervisors/:id/uptime', async (req) => {
    if (atLeast(req, 88)) throw new NotFound('The resource could not be found.');
    admin(deps, req, 'os_compute_api:os-hypervisors:uptime');
    const id = (req.params as { id: string }).id;
    const node = await getNode(deps.db, id);
    if (!node) throw hypervisorNotFound(id);
    const [view] = await hypervisors(false, req, id);
    const service = (await listServices(deps.db, { host: node.host, binary: AGENT_BINARY }))[0];
    return { hypervisor: { ...view, uptime: await uptimeOf(req, node, service) } };
  });

  app.get('/v2.1/os-hypervisors/:id', async (req) => {
    admin(deps, req, 'os_compute_api:os-hypervisors:show');
    const id = (req.params as { id: string }).id;
    if (!await getNode(deps.db, id)) throw hypervisorNotFound(id);
    return { hypervisor: (await hypervisors(true, req, id))[0] };
  });
}

function hypervisorView(req: FastifyRequest, n: ComputeNodeRow, s: ComputeServiceRow | undefined,
  u: { vms: number; vcpus: number; ram: number; disk: number; busy: number } | undefined, detailed: boolean, downMs: number): Record<string, unknown> {
  const used = u ?? { vms: 0, vcpus: 0, ram: 0, disk: 0, busy: 0 };
  const body: Record<string, unknown> = {
    id: n.uuid, hypervisor_hostname: n.hypervisor_hostname, state: s && isUp(s, downMs) ? 'up' : 'down', status: s?.disabled ? 'disabled' : 'enabled',
  };
  if (!detailed) return body;
  const placed = { host_ip: n.host_ip, hypervisor_type: n.hypervisor_type, hypervisor_version: n.hypervisor_version,
    service: { host: n.host, id: s?.id ?? null, disabled_reason: s?.disabled_reason ?? null } };
  // 2.88 drops the resource counters (Placement has them); uptime is added by the caller (the agent's answer).
  if (atLeast(req, 88)) return { ...body, ...placed };
  return {
    ...body, host_ip: n.host_ip, hypervisor_type: n.hypervisor_type, hypervisor_version: n.hypervisor_version,
    service: { host: n.host, id: s?.id ?? null, disabled_reason: s?.disabled_reason ?? null },
    vcpus: n.vcpus, memory_mb: n.memory_mb, local_gb: n.local_gb, vcpus_used: used.vcpus, memory_mb_used: used.ram,
    local_gb_used: used.disk, free_ram_mb: n.memory_mb - used.ram, free_disk_gb: n.local_gb - used.disk, current_workload: used.busy,
    running_vms: used.vms, disk_available_least: n.local_gb - used.disk, cpu_info: atLeast(req, 28) ? {} : '{}',
  };
}
