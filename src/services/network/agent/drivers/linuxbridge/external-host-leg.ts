// The external network on one host (devstack's br-ex): a veth pair whose host end carries the host's address on the
// external physical network and whose other end is that physical network's interface, so the external network's
// bridge takes it like any physical interface and the host reaches floating IPs directly.
import type { IpLinks } from './ip-links.ts';
import { parseCidr, parseIp } from '../../../domain/ip-address.ts';

export interface ExternalHostLeg {
  /** The host end, holding `cidr` (e.g. stratus-ex with 172.24.4.1/24). */
  hostInterface: string;
  /** The end mapped as the physical network's interface (e.g. stratus-ex-p). */
  physicalInterface: string;
  cidr: string;
}

export const EXTERNAL_LEG_ALIAS = 'stratus:external';

/** Creates the pair if missing and gives it its address and state. Idempotent. */
export async function ensureExternalHostLeg(ip: IpLinks, leg: ExternalHostLeg): Promise<void> {
  const [address, prefix] = leg.cidr.split('/');
  if (parseIp(address)?.version !== 4 || !parseCidr(leg.cidr, false)) throw new Error(`host_external_cidr '${leg.cidr}' is not an IPv4 address with a prefix`);
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
}
