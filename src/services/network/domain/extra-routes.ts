// A router's extra routes (extension extraroute) as Neutron checks them, without I/O: each destination a CIDR and each
// nexthop an address of the same version, no route twice, at most max_routes, and every nexthop on a subnet the
// router has a leg on (interface or gateway) without being one of the router's own addresses.
import { cidrContains, formatCidr, formatIp, parseCidr, parseIp } from './ip-address.ts';
import { NeutronError, invalidInput } from './errors.ts';

export interface ExtraRoute { destination: string; nexthop: string }

/** The router's legs as the checks need them: the subnets' CIDRs and the router's own addresses on them. */
export interface RouterLegs { cidrs: string[]; addresses: string[] }

const key = (r: ExtraRoute) => `${r.destination}|${r.nexthop}`;
const shown = (routes: ExtraRoute[]) => JSON.stringify(routes.map((r) => ({ destination: r.destination, nexthop: r.nexthop })));

/** Canonical routes (normalized CIDR and address); InvalidInput for a malformed or duplicate one. */
export function normalizeRoutes(routes: ExtraRoute[]): ExtraRoute[] {
  const out = new Map<string, ExtraRoute>();
  for (const r of routes) {
    const dest = parseCidr(r.destination, false);
    const hop = parseIp(r.nexthop);
    if (!dest || !hop || dest.version !== hop.version) throw invalidInput(`Invalid data format for hostroute: '${JSON.stringify(r)}'`);
    const route = { destination: formatCidr(dest), nexthop: formatIp(hop.version, hop.value) };
    if (out.has(key(route))) throw invalidInput(`Duplicate hostroute '${JSON.stringify(r)}'`);
    out.set(key(route), route);
  }
  return [...out.values()];
}

/** Checks the router's complete set of routes against its legs and the cap (400 as Neutron answers). */
export function checkRoutes(routerId: string, routes: ExtraRoute[], legs: RouterLegs, maxRoutes: number): void {
  if (routes.length > maxRoutes) {
    throw new NeutronError(400, 'RoutesExhausted', `Unable to complete operation for ${routerId}. The number of routes exceeds the maximum ${maxRoutes}.`);
  }
  const cidrs = legs.cidrs.map((c) => parseCidr(c, false)!).filter(Boolean);
  const own = new Set(legs.addresses.map((a) => { const ip = parseIp(a); return ip && formatIp(ip.version, ip.value); }));
  for (const r of routes) {
    const hop = parseIp(r.nexthop)!;
    if (!cidrs.some((c) => c.version === hop.version && cidrContains(c, hop.version, hop.value))) {
      throw new NeutronError(400, 'InvalidRoutes', `Invalid format for routes: ${shown(routes)}, the nexthop is not connected with router.`);
    }
    if (own.has(r.nexthop)) throw new NeutronError(400, 'InvalidRoutes', `Invalid format for routes: ${shown(routes)}, the nexthop is used by router.`);
  }
}

/** `current` plus `added` (already present ones once), or minus `removed` (absent ones ignored), as extraroute-atomic does. */
export function mergeRoutes(current: ExtraRoute[], change: { add?: ExtraRoute[]; remove?: ExtraRoute[] }): ExtraRoute[] {
  const out = new Map(current.map((r) => [key(r), r]));
  for (const r of change.add ?? []) out.set(key(r), r);
  for (const r of change.remove ?? []) out.delete(key(r));
  return [...out.values()];
}

/** Whether a route's nexthop lies on the subnet (so the leg on it cannot go while the route stays). */
export function routeUsesSubnet(route: ExtraRoute, cidr: string): boolean {
  const c = parseCidr(cidr, false);
  const hop = parseIp(route.nexthop);
  return Boolean(c && hop && c.version === hop.version && cidrContains(c, hop.version, hop.value));
}
