// IP address management rules without I/O: default allocation pools, pool validation, and choosing the next free
// address. Uniqueness itself is the database's (a unique key on network and address); these only pick candidates.
import { cidrContains, formatIp, parseIp } from './ip-address.ts';
import type { Cidr, IpVersion } from './ip-address.ts';
import { NeutronError, invalidInput } from './errors.ts';

export interface Pool { start: bigint; end: bigint }
export interface PoolText { start: string; end: string }

/** First and last usable addresses: IPv4 loses network and broadcast, IPv6 the subnet-router anycast address. */
function usableRange(cidr: Cidr): Pool {
  if (cidr.version === 4 && cidr.prefixLength >= 31) return { start: cidr.network, end: cidr.last };
  return { start: cidr.network + 1n, end: cidr.version === 4 ? cidr.last - 1n : cidr.last };
}

/** The gateway Neutron picks when none is given: the first usable address. */
export function defaultGateway(cidr: Cidr): bigint | undefined {
  const r = usableRange(cidr);
  return r.start <= r.end ? r.start : undefined;
}

/** The usable range split around the gateway, as Neutron's default pools are. */
export function defaultPools(cidr: Cidr, gateway: bigint | undefined): Pool[] {
  const r = usableRange(cidr);
  if (gateway === undefined || gateway < r.start || gateway > r.end) return r.start <= r.end ? [r] : [];
  return [{ start: r.start, end: gateway - 1n }, { start: gateway + 1n, end: r.end }].filter((p) => p.start <= p.end);
}

/** Parses and checks requested pools: inside the subnet, ordered, disjoint, and clear of the gateway. */
export function parsePools(cidr: Cidr, pools: PoolText[], gateway: bigint | undefined): Pool[] {
  const parsed = pools.map((p) => {
    const start = parseIp(p.start);
    const end = parseIp(p.end);
    if (!start || !end || start.version !== cidr.version || end.version !== cidr.version) {
      throw invalidInput(`Invalid allocation pool ${p.start}-${p.end}`);
    }
    if (!cidrContains(cidr, start.version, start.value) || !cidrContains(cidr, end.version, end.value)) {
      throw new NeutronError(400, 'OutOfBoundsAllocationPool',
        `The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${formatIp(cidr.version, cidr.network)}/${cidr.prefixLength}.`);
    }
    if (start.value > end.value) throw invalidInput(`Invalid allocation pool ${p.start}-${p.end}: start is after end`);
    return { start: start.value, end: end.value };
  }).sort((a, b) => (a.start < b.start ? -1 : 1));
  for (let i = 1; i < parsed.length; i++) {
    if (parsed[i].start <= parsed[i - 1].end) {
      throw new NeutronError(400, 'OverlappingAllocationPools', 'Found overlapping allocation pools.');
    }
  }
  if (gateway !== undefined && parsed.some((p) => gateway >= p.start && gateway <= p.end)) {
    const ip = formatIp(cidr.version, gateway);
    throw new NeutronError(409, 'GatewayConflictWithAllocationPools', `Gateway ip ${ip} conflicts with allocation pool ${pools.map((p) => `${p.start}-${p.end}`).join(', ')}`);
  }
  return parsed;
}

export function formatPools(version: IpVersion, pools: Pool[]): PoolText[] {
  return pools.map((p) => ({ start: formatIp(version, p.start), end: formatIp(version, p.end) }));
}

export function inPools(pools: Pool[], value: bigint): boolean {
  return pools.some((p) => value >= p.start && value <= p.end);
}

/**
 * The lowest address in the pools that is neither used nor the gateway, or undefined when the pools are full.
 * Walks past used addresses only, so a sparse IPv6 /64 costs as little as a small IPv4 subnet.
 */
export function nextFreeAddress(pools: Pool[], used: ReadonlySet<bigint>, gateway: bigint | undefined): bigint | undefined {
  for (const pool of pools) {
    for (let candidate = pool.start; candidate <= pool.end; candidate++) {
      if (candidate !== gateway && !used.has(candidate)) return candidate;
    }
  }
  return undefined;
}
