// The server's side of DHCP (what Neutron's DHCP agent asks its plugin for): the host's `network:dhcp` port on a
// network, created through the same IPAM path as every port, and what its dnsmasq serves.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '#lib/context.ts';
import { getNetwork } from '../db/networks-repo.ts';
import { fixedIpsOf, getPort } from '../db/ports-repo.ts';
import { subnetsOfNetwork } from '../db/subnets-repo.ts';
import type { NetworkRow, SubnetRow } from '../db/tables.ts';
import { dhcpDeviceId, hostnameFor } from '../domain/dhcp-network.ts';
import type { DhcpNetwork } from '../domain/dhcp-network.ts';
import { bindPort } from '../domain/port-binding.ts';
import { AllocationRace, claimFixedIps, planFixedIps } from './port-addresses.ts';
import { createPortRecords } from './port-records.ts';
import { portView } from './views.ts';
import { agentWired, now } from './deps.ts';
import type { NetworkApiDeps } from './deps.ts';

const DHCP_OWNER = 'network:dhcp';

/**
 * The subnets a DHCP server serves (Neutron's DHCP agent): DHCP-enabled IPv4 ones, and DHCP-enabled IPv6 ones whose
 * address mode is DHCPv6 (stateful or stateless) or unset without an RA mode; SLAAC guests need no DHCP server.
 */
export function servesDhcp(s: Pick<SubnetRow, 'enable_dhcp' | 'ip_version' | 'ipv6_address_mode' | 'ipv6_ra_mode'>): boolean {
  if (!s.enable_dhcp) return false;
  if (s.ip_version === 4) return true;
  const mode = s.ipv6_address_mode;
  return mode === 'dhcpv6-stateful' || mode === 'dhcpv6-stateless' || (!mode && !s.ipv6_ra_mode);
}

const dhcpSubnets = (subnets: SubnetRow[]) => subnets.filter(servesDhcp);

async function dhcpPortRow(deps: NetworkApiDeps, networkId: string, host: string) {
  return deps.db.selectFrom('ports').selectAll().where('network_id', '=', networkId).where('device_owner', '=', DHCP_OWNER)
    .where('device_id', '=', dhcpDeviceId(host, networkId)).executeTakeFirst();
}

/** Networks with a subnet a DHCP server serves. */
export async function dhcpNetworkIds(deps: NetworkApiDeps): Promise<string[]> {
  const rows = await deps.db.selectFrom('subnets').select(['network_id', 'enable_dhcp', 'ip_version', 'ipv6_address_mode', 'ipv6_ra_mode']).where('enable_dhcp', '=', true).execute();
  return [...new Set(rows.filter(servesDhcp).map((r) => r.network_id))].sort();
}

/** Creates the host's DHCP port (notifying `port.create.end`), or gives the existing one an address on each DHCP subnet it lacks. */
export async function ensureDhcpPort(deps: NetworkApiDeps, ctx: RequestContext, networkId: string, host: string): Promise<void> {
  const network = await getNetwork(deps.db, networkId);
  if (!network) return;
  const subnets = dhcpSubnets(await subnetsOfNetwork(deps.db, networkId));
  if (!subnets.length) return;
  const existing = await dhcpPortRow(deps, networkId, host);
  if (!existing) {
    const id = randomUUID();
    const binding = bindPort({ hostId: host, vnicType: 'normal', deviceOwner: DHCP_OWNER, portSecurityEnabled: false, agentWired: agentWired(deps), networkId, portId: id });
    await createPortRecords(deps.db, {
      id, project_id: network.project_id, description: '', name: '', network_id: networkId, admin_state_up: true, status: binding.status,
      device_id: dhcpDeviceId(host, networkId), device_owner: DHCP_OWNER, binding_host_id: host, binding_vif_type: binding.vifType,
      binding_vif_details: JSON.stringify(binding.vifDetails), binding_profile: '{}', binding_vnic_type: 'normal',
      port_security_enabled: false, allowed_address_pairs: () => '[]',
      planned: planFixedIps(networkId, subnets, subnets.map((s) => ({ subnet_id: s.id })), { mayUseGateway: false }), securityGroups: [], now: now(),
    });
    const fixedIps = (await fixedIpsOf(deps.db, [id])).get(id) ?? [];
    deps.events.resourceChanged(ctx, 'port', 'create', { port: portView((await getPort(deps.db, id))!, { fixedIps, securityGroups: [], tags: [], binding: true }) });
    return;
  }
  const held = new Set((await fixedIpsOf(deps.db, [existing.id])).get(existing.id)?.map((f) => f.subnet_id) ?? []);
  const missing = subnets.filter((s) => !held.has(s.id));
  if (!missing.length) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.db.transaction().execute((tx) => claimFixedIps(tx, {
        networkId, portId: existing.id, mac: existing.mac_address, planned: planFixedIps(networkId, subnets, missing.map((s) => ({ subnet_id: s.id })), { mayUseGateway: false }),
      }));
      return;
    } catch (err) {
      if (!(err instanceof AllocationRace) || attempt >= 20) throw err;
    }
  }
}

/** What the host's dnsmasq for the network serves: every port's addresses on the DHCP subnets. */
export async function dhcpNetworkInfo(deps: NetworkApiDeps, networkId: string, host: string): Promise<DhcpNetwork | null> {
  const network: NetworkRow | undefined = await getNetwork(deps.db, networkId);
  if (!network) return null;
  const subnets = dhcpSubnets(await subnetsOfNetwork(deps.db, networkId));
  const served = new Set(subnets.map((s) => s.id));
  const ports = await deps.db.selectFrom('ports').select(['id', 'mac_address', 'device_owner', 'device_id']).where('network_id', '=', networkId).orderBy('id').execute();
  const ips = await fixedIpsOf(deps.db, ports.map((p) => p.id));
  const own = ports.find((p) => p.device_owner === DHCP_OWNER && p.device_id === dhcpDeviceId(host, networkId));
  // A subnet no router interface sits on is isolated: its guests find metadata through the DHCP server's namespace.
  const routed = new Set(ports.filter((p) => p.device_owner === 'network:router_interface').flatMap((p) => (ips.get(p.id) ?? []).map((f) => f.subnet_id)));
  return {
    networkId,
    network: { networkType: network.network_type, physicalNetwork: network.physical_network, segmentationId: network.segmentation_id, mtu: network.mtu },
    subnets: subnets.map((s) => ({
      subnetId: s.id, ipVersion: s.ip_version, cidr: s.cidr, gatewayIp: s.gateway_ip,
      dnsNameservers: JSON.parse(s.dns_nameservers) as string[], hostRoutes: JSON.parse(s.host_routes) as { destination: string; nexthop: string }[],
      isolated: !routed.has(s.id), ipv6AddressMode: s.ipv6_address_mode, ipv6RaMode: s.ipv6_ra_mode,
    })),
    dhcpPort: own ? { portId: own.id, macAddress: own.mac_address, fixedIps: (ips.get(own.id) ?? []).filter((f) => served.has(f.subnet_id)).map((f) => ({ subnetId: f.subnet_id, ipAddress: f.ip_address })) } : null,
    hosts: ports.filter((p) => p.device_owner !== DHCP_OWNER).flatMap((p) => (ips.get(p.id) ?? []).filter((f) => served.has(f.subnet_id))
      .map((f) => ({ portId: p.id, macAddress: p.mac_address, ipAddress: f.ip_address, hostname: hostnameFor(f.ip_address) }))),
  };
}
