// Availability zones: where a host is (its aggregate's availability_zone metadata, else the default zone) and the
// zone the control services are listed in.

/** Nova's default_availability_zone: every compute host no aggregate places elsewhere. */
export const DEFAULT_ZONE = 'nova';
/** Nova's internal_service_availability_zone, for the non-compute services. */
export const INTERNAL_ZONE = 'internal';
/** The binary a compute agent's service row has. */
export const AGENT_BINARY = 'nova-compute';

export function zoneOf(host: string, zones: Map<string, string>): string {
  return zones.get(host) ?? DEFAULT_ZONE;
}

/** A requested `availability_zone` with Nova's forced-host forms: `az`, `az:host`, `az:host:node` (and `:host`). */
export function parseZoneRequest(value: string): { zone: string | null; host?: string; node?: string } {
  const [zone, host, node] = value.split(':');
  if (host === undefined) return { zone: value };
  return { zone: zone || null, host: host || undefined, node: node || undefined };
}
