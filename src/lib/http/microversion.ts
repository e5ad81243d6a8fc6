// Microversion negotiation: OpenStack-API-Version and the legacy per-service headers, 'latest', 406 when out of range.
import { BadRequest, NotAcceptable } from '../errors.ts';

export interface Microversion { major: number; minor: number }

export interface MicroversionRange {
  serviceType: string;
  /** e.g. 'x-openstack-nova-api-version' */
  legacyHeader?: string;
  min: Microversion;
  max: Microversion;
}

export function parseMicroversion(text: string): Microversion | undefined {
  const m = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function compareMicroversions(a: Microversion, b: Microversion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function formatMicroversion(v: Microversion): string {
  return `${v.major}.${v.minor}`;
}

/** Picks the version the client asked for (min when it asked for none); throws 400 if malformed, 406 if unsupported. */
export function negotiateMicroversion(headers: Record<string, string | string[] | undefined>, range: MicroversionRange): Microversion {
  let requested: string | undefined;
  const modern = headers['openstack-api-version'];
  for (const entry of (Array.isArray(modern) ? modern : modern ? [modern] : []).flatMap((h) => h.split(','))) {
    const [service, version] = entry.trim().split(/\s+/, 2);
    if (service?.toLowerCase() === range.serviceType) requested = version ?? '';
  }
  if (requested === undefined && range.legacyHeader) {
    const legacy = headers[range.legacyHeader];
    requested = Array.isArray(legacy) ? legacy[0] : legacy;
  }
  if (requested === undefined) return range.min;
  if (requested.trim().toLowerCase() === 'latest') return range.max;
  const v = parseMicroversion(requested);
  if (!v) throw new BadRequest(`Version ${requested} is not valid: it must be of the form X.Y or 'latest'.`);
  if (compareMicroversions(v, range.min) < 0 || compareMicroversions(v, range.max) > 0) {
    throw new NotAcceptable(`Version ${requested} is not supported by the API. Minimum is ${formatMicroversion(range.min)} and maximum is ${formatMicroversion(range.max)}.`,
      { min_version: formatMicroversion(range.min), max_version: formatMicroversion(range.max) });
  }
  return v;
}

/** The response headers that echo the negotiated version. */
export function microversionHeaders(range: MicroversionRange, v: Microversion): Record<string, string> {
  const text = formatMicroversion(v);
  const headers: Record<string, string> = {
    'openstack-api-version': `${range.serviceType} ${text}`,
    vary: range.legacyHeader ? `OpenStack-API-Version, ${range.legacyHeader}` : 'OpenStack-API-Version',
  };
  if (range.legacyHeader) headers[range.legacyHeader] = text;
  return headers;
}
