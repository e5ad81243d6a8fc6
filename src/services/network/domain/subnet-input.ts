// A subnet request checked as Neutron checks it: CIDR in canonical form and of the stated version, gateway inside
// the subnet and outside the pools, DNS servers and host routes well formed, no overlap with the network's subnets.
import { cidrContains, cidrsOverlap, formatCidr, formatIp, normalizeIp, parseCidr, parseIp } from './ip-address.ts';
import type { Cidr } from './ip-address.ts';
import { defaultGateway, defaultPools, formatPools, parsePools } from './ipam.ts';
import type { PoolText } from './ipam.ts';
import { NeutronError, invalidInput } from './errors.ts';

export interface SubnetRequest {
  ip_version: number;
  cidr: string;
  gateway_ip?: string | null;
  allocation_pools?: PoolText[];
  dns_nameservers?: string[];
  host_routes?: { destination: string; nexthop: string }[];
  ipv6_ra_mode?: string | null;
  ipv6_address_mode?: string | null;
  enable_dhcp?: boolean;
}

export interface CheckedSubnet {
  cidr: Cidr;
  cidrText: string;
  gatewayIp: string | null;
  pools: PoolText[];
  dnsNameservers: string[];
  hostRoutes: { destination: string; nexthop: string }[];
}

export function parseSubnetCidr(text: string, ipVersion: number): Cidr {
  const loose = parseCidr(text, false);
  if (!loose) throw invalidInput(`'${text}' is not a valid IP subnet`);
  if (formatCidr(loose) !== text && parseCidr(text, true) === undefined) {
    throw invalidInput(`'${text}' isn't a recommended CIDR, it should be ${formatCidr(loose)}`);
  }
  if (loose.version !== ipVersion) throw invalidInput('Cidr and ip_version are not compatible');
  if (loose.version === 4 && loose.prefixLength > 30 || loose.version === 6 && loose.prefixLength > 126) {
    throw invalidInput(`Invalid CIDR ${text} for IPv${loose.version} subnet: the prefix is too long to hold an address`);
  }
  return loose;
}

export function checkGateway(cidr: Cidr, gateway: string | null | undefined): bigint | undefined | null {
  if (gateway === null) return null;
  if (gateway === undefined) return undefined;
  const ip = parseIp(gateway);
  if (!ip || ip.version !== cidr.version) throw invalidInput(`'${gateway}' is not a valid IP address`);
  if (!cidrContains(cidr, ip.version, ip.value) || ip.value === cidr.network || (cidr.version === 4 && ip.value === cidr.last)) {
    throw new NeutronError(400, 'InvalidInput', `Invalid input for operation: Gateway is not valid on subnet.`);
  }
  return ip.value;
}

export function checkDns(servers: string[]): string[] {
  const out = servers.map((s) => normalizeIp(s) ?? (() => { throw invalidInput(`'${s}' is not a valid nameserver`); })());
  if (new Set(out).size !== out.length) throw invalidInput(`Duplicate nameserver '${out.find((s, i) => out.indexOf(s) !== i)}'`);
  return out;
}

export function checkRoutes(cidr: Cidr, routes: { destination: string; nexthop: string }[]): { destination: string; nexthop: string }[] {
  return routes.map((r) => {
    const dest = parseCidr(r.destination, false);
    const hop = parseIp(r.nexthop);
    if (!dest || !hop || dest.version !== cidr.version || hop.version !== cidr.version) {
      throw invalidInput(`Invalid route: destination ${r.destination} nexthop ${r.nexthop}`);
    }
    return { destination: formatCidr(dest), nexthop: formatIp(hop.version, hop.value) };
  });
}

/**
 * Neutron's IPv6 mode matrix: a mode needs DHCP enabled; with both set they must be equal (either alone is fine, e.g.
 * an outside router advertising); an autoconfigured subnet (SLAAC or dhcpv6-stateless) must be a /64 (EUI-64).
 */
function checkIpv6Modes(req: SubnetRequest, cidr: Cidr): void {
  const ra = req.ipv6_ra_mode ?? null;
  const address = req.ipv6_address_mode ?? null;
  if (!ra && !address) return;
  if (req.enable_dhcp === false) throw invalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False.');
  if (ra && address && ra !== address) {
    throw invalidInput(`ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${address}' is not valid. If both attributes are set, they must be the same value`);
  }
  const auto = ['slaac', 'dhcpv6-stateless'];
  if ((auto.includes(address ?? '') || (!address && auto.includes(ra ?? ''))) && cidr.prefixLength !== 64) {
    throw invalidInput(`Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.`);
  }
}

/** Checks a new subnet against itself and the network's other subnets. */
export function checkNewSubnet(req: SubnetRequest, siblings: string[]): CheckedSubnet {
  if (req.ip_version === 4 && (req.ipv6_ra_mode || req.ipv6_address_mode)) {
    throw invalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False or ip_version is 4');
  }
  const cidr = parseSubnetCidr(req.cidr, req.ip_version);
  checkIpv6Modes(req, cidr);
  for (const other of siblings) {
    const o = parseCidr(other, false)!;
    if (cidrsOverlap(cidr, o)) {
      throw invalidInput(`Requested subnet with cidr: ${formatCidr(cidr)} for network overlaps with another subnet`);
    }
  }
  const given = checkGateway(cidr, req.gateway_ip);
  const gateway = given === undefined ? defaultGateway(cidr) : given ?? undefined;
  const pools = req.allocation_pools?.length ? parsePools(cidr, req.allocation_pools, gateway) : defaultPools(cidr, gateway);
  return {
    cidr, cidrText: formatCidr(cidr), gatewayIp: gateway === undefined ? null : formatIp(cidr.version, gateway),
    pools: formatPools(cidr.version, pools), dnsNameservers: checkDns(req.dns_nameservers ?? []), hostRoutes: checkRoutes(cidr, req.host_routes ?? []),
  };
}
