// Gives a port its fixed IPs inside the port's transaction. The database's (network_id, ip_address) key is the
// guarantee; this picks candidates: a requested address is checked and claimed (taken → IpAddressInUse), an
// automatic one is the lowest free address of the pools, and losing a race for it means retrying the transaction.
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '#lib/db/index.ts';
import type { NetworkTables, SubnetRow } from '../db/tables.ts';
import { allocatedAddresses } from '../db/subnets-repo.ts';
import { insertAllocation } from '../db/ports-repo.ts';
import type { FixedIp } from '../db/ports-repo.ts';
import { cidrContains, formatIp, parseCidr, parseIp } from '../domain/ip-address.ts';
import { nextFreeAddress } from '../domain/ipam.ts';
import type { PoolText } from '../domain/ipam.ts';
import { eui64 } from '../domain/port-binding.ts';
import { NeutronError, invalidInput, invalidIpForNetwork, invalidIpForSubnet, ipAddressGenerationFailure, ipAddressInUse } from '../domain/errors.ts';

type Db = Kysely<NetworkTables>;

/** Thrown when an automatically chosen address was taken by a concurrent writer: roll back and try again. */
export class AllocationRace extends Error {}

export interface FixedIpRequest { subnet_id?: string; ip_address?: string }

/** One address to claim: a specific one, or `undefined` for the next free one in the subnet. */
export interface PlannedIp {
  subnet: SubnetRow;
  address?: string;
  /** For an automatic address: subnets of the same family to try when `subnet` is full. */
  fallbacks?: SubnetRow[];
}

/** Resolves a port's fixed_ips request against the network's subnets (no I/O beyond what it is given). */
export function planFixedIps(networkId: string, subnets: SubnetRow[], requested: FixedIpRequest[] | undefined, opts: { mayUseGateway: boolean }): PlannedIp[] {
  if (requested === undefined) {
    // Neutron's default: one address from the first IPv4 subnet and one from the first IPv6 subnet.
    const v4 = subnets.filter((s) => s.ip_version === 4);
    const v6 = subnets.filter((s) => s.ip_version === 6);
    return [v4, v6].filter((family) => family.length > 0).map((family) => ({ subnet: family[0], fallbacks: family.slice(1) }));
  }
  const planned: PlannedIp[] = [];
  for (const req of requested) {
    let subnet: SubnetRow | undefined;
    let address: string | undefined;
    if (req.ip_address !== undefined) {
      const ip = parseIp(req.ip_address);
      if (!ip) throw invalidInput(`'${req.ip_address}' is not a valid IP address`);
      address = formatIp(ip.version, ip.value);
      const inside = (s: SubnetRow) => cidrContains(parseCidr(s.cidr)!, ip.version, ip.value);
      if (req.subnet_id !== undefined) {
        subnet = subnets.find((s) => s.id === req.subnet_id);
        if (!subnet) throw invalidInput(`Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${req.subnet_id}`);
        if (!inside(subnet)) throw invalidIpForSubnet(req.ip_address);
      } else {
        subnet = subnets.find(inside);
        if (!subnet) throw invalidIpForNetwork(req.ip_address);
      }
      const cidr = parseCidr(subnet.cidr)!;
      if (ip.value === cidr.network || (cidr.version === 4 && ip.value === cidr.last && cidr.prefixLength < 31)) throw invalidIpForSubnet(req.ip_address);
      if (address === subnet.gateway_ip && !opts.mayUseGateway) {
        throw new NeutronError(409, 'IpAddressInUse', `Unable to complete operation for network ${networkId}. The IP address ${address} is in use.`);
      }
    } else if (req.subnet_id !== undefined) {
      subnet = subnets.find((s) => s.id === req.subnet_id);
      if (!subnet) throw invalidInput(`Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${req.subnet_id}`);
    } else {
      throw invalidInput('Exactly one of subnet_id or ip_address is required in each fixed_ips entry');
    }
    if (planned.some((p) => p.address !== undefined && p.address === address)) throw invalidInput(`Duplicate IP address '${address}'`);
    planned.push({ subnet, address });
  }
  return planned;
}

/** Claims the planned addresses for a port. Call inside the port's transaction. */
export async function claimFixedIps(db: Db, opts: { networkId: string; portId: string; mac: string; planned: PlannedIp[] }): Promise<FixedIp[]> {
  const claimed: FixedIp[] = [];
  for (const p of opts.planned) {
    let address = p.address;
    let subnet = p.subnet;
    const auto = address === undefined;
    if (auto) {
      for (const candidate of [p.subnet, ...p.fallbacks ?? []]) {
        address = await chooseAddress(db, candidate, opts.mac);
        subnet = candidate;
        if (address !== undefined) break;
      }
      if (address === undefined) throw ipAddressGenerationFailure(opts.networkId);
    }
    try {
      await insertAllocation(db, { networkId: opts.networkId, subnetId: subnet.id, ipAddress: address!, portId: opts.portId });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      if (auto) throw new AllocationRace();
      throw ipAddressInUse(opts.networkId, address!);
    }
    claimed.push({ subnet_id: subnet.id, ip_address: address! });
  }
  return claimed;
}

/** The next free address of a subnet (its EUI-64 address on a SLAAC /64), or undefined when it is full. */
async function chooseAddress(db: Db, subnet: SubnetRow, mac: string): Promise<string | undefined> {
  const cidr = parseCidr(subnet.cidr)!;
  if (subnet.ipv6_address_mode === 'slaac' || subnet.ipv6_address_mode === 'dhcpv6-stateless') {
    if (cidr.prefixLength === 64) return formatIp(6, eui64(cidr.network, mac));
  }
  const pools = (JSON.parse(subnet.allocation_pools) as PoolText[]).map((pt) => ({ start: parseIp(pt.start)!.value, end: parseIp(pt.end)!.value }));
  const used = new Set((await allocatedAddresses(db, subnet.network_id)).map((a) => parseIp(a)!.value));
  const gateway = subnet.gateway_ip ? parseIp(subnet.gateway_ip)!.value : undefined;
  const next = nextFreeAddress(pools, used, gateway);
  return next === undefined ? undefined : formatIp(cidr.version, next);
}
