// The external network on one host (devstack's br-ex): a veth pair whose host end carries the host's address on the
// external physical network and whose other end is that physical network's interface, so the external network's
// bridge takes it like any physical interface and the host reaches floating IPs directly. With an IPv6 address too
// (the external IPv6 subnet's gateway), routers' gateway legs route IPv6 through it, unNATed: the host reaches tenant
// IPv6 subnets through a route via a router's gateway address (devstack adds that route; so does the operator here).
import type { IpLinks } from './ip-links.ts';
import { formatIp, parseCidr, parseIp } from '../../../domain/ip-address.ts';

export interface ExternalHostLeg {
  /** The host end, holding `cidr` (e.g. stratus-ex with 172.24.4.1/24). */
  hostInterface: string;
  /** The end mapped as the physical network's interface (e.g. stratus-ex-p). */
  physicalInterface: string;
  cidr: string;
  /** The host end's IPv6 address with prefix (e.g. 2001:db8::1/64), if the external network has an IPv6 subnet. */
  ipv6Cidr?: string;
}

export const EXTERNAL_LEG_ALIAS = 'stratus:external';

/** Creates the pair if missing and gives it its address and state. Idempotent. */
export async function ensureExternalHostLeg(ip: IpLinks, leg: ExternalHostLeg): Promise<void> {
  const [address, prefix] = leg.cidr.split('/');
  if (parseIp(address)?.version !== 4 || !parseCidr(leg.cidr, false)) throw new Error(`host_external_cidr '${leg.cidr}' is not an IPv4 address with a prefix`);
  const v6 = leg.ipv6Cidr ? ipv6Address(leg.ipv6Cidr) : undefined;
  let links = await ip.list();
  const host = links.get(leg.hostInterface);
  if (host && (host.linkinfo?.info_kind !== 'veth' || !links.has(leg.physicalInterface))) {
    throw new Error(`${leg.hostInterface} exists but is not the external leg's veth pair with ${leg.physicalInterface}; remove it or choose other names`);
  }
  if (!host) {
    await ip.run(['ip', 'link', 'add', leg.hostInterface, 'type', 'veth', 'peer', 'name', leg.physicalInterface]);
    links = await ip.list();
  }
  await ip.converge(links.get(leg.hostInterface)!, { alias: EXTERNAL_LEG_ALIAS, up: true });
  await ip.converge(links.get(leg.physicalInterface)!, { alias: EXTERNAL_LEG_ALIAS, up: true });
  await ip.setAddresses(leg.hostInterface, [`${address}/${Number(prefix)}`]);
  // The external IPv6 subnet's gateway is this host's.
  await ip.setIpv6Addresses(leg.hostInterface, v6 ? [v6] : []);
}

/** `address/prefix` of an IPv6 address with prefix as `ip` prints it; anything else is a configuration error. */
function ipv6Address(text: string): string {
  const [address, prefix, ...rest] = text.split('/');
  const ip = parseIp(address);
  if (ip?.version !== 6 || rest.length || !/^\d+$/.test(prefix ?? '') || Number(prefix) > 128) {
    throw new Error(`host_external_ipv6_cidr '${text}' is not an IPv6 address with a prefix`);
  }
  return `${formatIp(6, ip.value)}/${Number(prefix)}`;
}
