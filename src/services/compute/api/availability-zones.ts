// os-availability-zone: the zones servers can be asked into (a host's zone is its aggregate's availability_zone,
// "nova" for the others) and, for admins, the hosts and services in each (with "internal" for the control roles).
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { listServices } from '../db/hosts-repo.ts';
import { hostZones } from '../db/aggregates-repo.ts';
import type { ComputeServiceRow } from '../db/tables.ts';
import { AGENT_BINARY, INTERNAL_ZONE, zoneOf } from '../domain/zones.ts';
import { serviceIsUp } from '../domain/service-status.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';

/** The zones servers may be created in: those of the compute hosts, with whether an enabled host in each is up. */
export async function computeZones(deps: ComputeApiDeps): Promise<Map<string, boolean>> {
  const zones = await hostZones(deps.db);
  const out = new Map<string, boolean>();
  for (const s of await listServices(deps.db, { binary: AGENT_BINARY })) {
    const zone = zoneOf(s.host, zones);
    out.set(zone, (out.get(zone) ?? false) || (isUp(s, deps.serviceDownTimeMs) && !s.disabled));
  }
  return out;
}

const isUp = (s: ComputeServiceRow, downMs: number) => serviceIsUp(s, Date.now(), downMs);

/** 400 for a zone no compute host is in (Nova's "The requested availability zone is not available"). */
export async function assertZoneExists(deps: ComputeApiDeps, zone: string): Promise<void> {
  if (!(await computeZones(deps)).has(zone)) throw new BadRequest('The requested availability zone is not available');
}

export function registerAvailabilityZones(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/os-availability-zone', async (req) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-availability-zone:list', caller.credentials, { project_id: caller.projectId });
    return {
      availabilityZoneInfo: [...await computeZones(deps)].sort(([a], [b]) => a.localeCompare(b))
        .map(([zoneName, available]) => ({ zoneName, zoneState: { available }, hosts: null })),
    };
  });

  app.get('/v2.1/os-availability-zone/detail', async (req) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-availability-zone:detail', caller.credentials, { project_id: caller.projectId });
    const hostZone = await hostZones(deps.db);
    const zones = new Map<string, Record<string, Record<string, unknown>>>();
    for (const s of await listServices(deps.db)) {
      const zone = s.binary === AGENT_BINARY ? zoneOf(s.host, hostZone) : INTERNAL_ZONE;
      const hosts = zones.get(zone) ?? {};
      hosts[s.host] = { ...(hosts[s.host] ?? {}), [s.binary]: { available: isUp(s, deps.serviceDownTimeMs), active: !s.disabled, updated_at: s.updated_at.replace(/Z$/, '') } };
      zones.set(zone, hosts);
    }
    return {
      availabilityZoneInfo: [...zones].map(([zoneName, hosts]) => ({
        zoneName, zoneState: { available: Object.values(hosts).some((h) => Object.values(h).some((b) => (b as { available: boolean }).available)) }, hosts,
      })),
    };
  });
}
