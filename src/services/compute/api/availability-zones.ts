// os-availability-zone: the zones servers can be asked into ("nova", where every compute host is until host
// aggregates say otherwise) and, for admins, the hosts and services in each (with "internal" for the control roles).
import type { FastifyInstance } from 'fastify';
import { listServices } from '../db/hosts-repo.ts';
import type { ComputeServiceRow } from '../db/tables.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';

export const DEFAULT_ZONE = 'nova';

export function registerAvailabilityZones(app: FastifyInstance, deps: ComputeApiDeps): void {
  const up = (s: ComputeServiceRow) => !s.forced_down && s.last_seen_up !== null && Date.now() - Date.parse(s.last_seen_up) <= deps.serviceDownTimeMs;

  app.get('/v2.1/os-availability-zone', async (req) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-availability-zone:list', caller.credentials, { project_id: caller.projectId });
    const computes = await listServices(deps.db, { binary: 'nova-compute' });
    if (computes.length === 0) return { availabilityZoneInfo: [] };
    return { availabilityZoneInfo: [{ zoneName: DEFAULT_ZONE, zoneState: { available: computes.some((s) => up(s) && !s.disabled) }, hosts: null }] };
  });

  app.get('/v2.1/os-availability-zone/detail', async (req) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-availability-zone:detail', caller.credentials, { project_id: caller.projectId });
    const services = await listServices(deps.db);
    const zones = new Map<string, Record<string, Record<string, unknown>>>();
    for (const s of services) {
      const zone = s.binary === 'nova-compute' ? DEFAULT_ZONE : 'internal';
      const hosts = zones.get(zone) ?? {};
      hosts[s.host] = { ...(hosts[s.host] ?? {}), [s.binary]: { available: up(s), active: !s.disabled, updated_at: s.updated_at.replace(/Z$/, '') } };
      zones.set(zone, hosts);
    }
    return {
      availabilityZoneInfo: [...zones].map(([zoneName, hosts]) => ({
        zoneName, zoneState: { available: Object.values(hosts).some((h) => Object.values(h).some((b) => (b as { available: boolean }).available)) }, hosts,
      })),
    };
  });
}
