// network_data.json: how a guest (cloud-init, CirrOS, Glean) configures its NICs without DHCP guesswork — one link
// per port, one network per port and IP version (DHCP or static with routes), and the DNS servers.

/** A subnet as the guest needs it (Networking's subnet, in camelCase). */
export interface MetadataSubnet {
  id: string;
  ipVersion: 4 | 6;
  cidr: string;
  gatewayIp: string | null;
  enableDhcp: boolean;
  dnsNameservers: string[];
  hostRoutes: { destination: string; nexthop: string }[];
  /** IPv6 only: slaac, dhcpv6-stateful or dhcpv6-stateless; null when the guest is told its address. */
  ipv6AddressMode: string | null;
}

/** One of the server's ports with what Networking says about it. */
export interface MetadataPort {
  portId: string;
  networkId: string;
  macAddress: string;
  /** The network's MTU; null when unknown. */
  mtu: number | null;
  /** The port's binding:vif_type (bridge, ovs…). */
  vifType: string;
  fixedIps: { address: string; subnetId: string }[];
  /** Floating addresses associated with this port. */
  floatingIps: string[];
}

export interface NetworkLink { id: string; vif_id: string; type: string; mtu: number | null; ethernet_mac_address: string }
export interface NetworkRoute { network: string; netmask: string; gateway: string }
export interface DnsService { type: 'dns'; address: string }
export type GuestNetworkEntry =
  | { id: string; type: string; link: string; network_id: string }
  | { id: string; type: string; link: string; ip_address: string; netmask: string; routes: NetworkRoute[]; network_id: string; services: DnsService[] };
export interface NetworkData { links: NetworkLink[]; networks: GuestNetworkEntry[]; services: DnsService[] }

// VIF types a guest is shown as they are; any other is a plain physical NIC to it (Nova's legacy exposed types).
const EXPOSED_VIF_TYPES = new Set(['bridge', 'dvs', 'hw_veb', 'hyperv', 'ovs', 'tap', 'vhostuser', 'vif']);

/** The tap device name Compute plugs a port into: `tap` + the first 11 characters of the port id (Nova's devname). */
export const tapNameOf = (portId: string): string => `tap${portId.slice(0, 11)}`;

const prefixOf = (cidr: string): number => Number(cidr.split('/')[1]);
const networkOf = (cidr: string): string => cidr.split('/')[0];

/** A prefix length as a dotted (IPv4) or RFC 5952 (IPv6) netmask: 24 → 255.255.255.0, 64 → ffff:ffff:ffff:ffff::. */
export function netmaskOf(prefix: number, version: 4 | 6): string {
  if (version === 4) {
    return [0, 1, 2, 3].map((i) => 256 - 2 ** (8 - Math.max(0, Math.min(8, prefix - 8 * i)))).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => (0x10000 - 2 ** (16 - Math.max(0, Math.min(16, prefix - 16 * i)))).toString(16));
  // A mask's zero groups are all at its end; RFC 5952 folds a run of two or more into '::'.
  const firstZero = groups.indexOf('0');
  if (firstZero === -1 || firstZero > 6) return groups.join(':');
  return `${groups.slice(0, firstZero).join(':')}::`;
}

function routesOf(subnet: MetadataSubnet): NetworkRoute[] {
  const routes: NetworkRoute[] = [];
  const any = subnet.ipVersion === 4 ? '0.0.0.0' : '::';
  if (subnet.gatewayIp) routes.push({ network: any, netmask: any, gateway: subnet.gatewayIp });
  for (const r of subnet.hostRoutes) {
    routes.push({ network: networkOf(r.destination), netmask: netmaskOf(prefixOf(r.destination), subnet.ipVersion), gateway: r.nexthop });
  }
  return routes;
}

const dnsOf = (subnet: MetadataSubnet): DnsService[] => subnet.dnsNameservers.map((address) => ({ type: 'dns', address }));

/** How the guest gets this address: DHCP when the subnet serves it (IPv4), else static with routes and DNS. */
function networkEntry(id: string, link: string, port: MetadataPort, address: string, subnet: MetadataSubnet): GuestNetworkEntry {
  const v = subnet.ipVersion;
  if (v === 4 && subnet.enableDhcp) return { id, type: 'ipv4_dhcp', link, network_id: port.networkId };
  if (v === 6 && !subnet.ipv6AddressMode && subnet.enableDhcp) return { id, type: 'ipv6_dhcp', link, network_id: port.networkId };
  const type = v === 6 && subnet.ipv6AddressMode ? `ipv6_${subnet.ipv6AddressMode}` : `ipv${v}`;
  return {
    id, type, link, ip_address: address, netmask: netmaskOf(prefixOf(subnet.cidr), v), routes: routesOf(subnet),
    network_id: port.networkId, services: dnsOf(subnet),
  };
}

/**
 * network_data.json for `ports` in the guest's NIC order: a link per port, then for each port its first IPv4 and
 * first IPv6 address as a network (`network0`, `network1`…), and every subnet's DNS servers once.
 */
export function buildNetworkData(ports: MetadataPort[], subnets: MetadataSubnet[]): NetworkData {
  const byId = new Map(subnets.map((s) => [s.id, s]));
  const data: NetworkData = { links: [], networks: [], services: [] };
  for (const port of ports) {
    const link = tapNameOf(port.portId);
    data.links.push({
      id: link, vif_id: port.portId, type: EXPOSED_VIF_TYPES.has(port.vifType) ? port.vifType : 'phy', mtu: port.mtu,
      ethernet_mac_address: port.macAddress,
    });
    for (const version of [4, 6] as const) {
      const ip = port.fixedIps.find((f) => byId.get(f.subnetId)?.ipVersion === version);
      if (!ip) continue;
      const subnet = byId.get(ip.subnetId)!;
      data.networks.push(networkEntry(`network${data.networks.length}`, link, port, ip.address, subnet));
      for (const dns of dnsOf(subnet)) if (!data.services.some((s) => s.address === dns.address)) data.services.push(dns);
    }
  }
  return data;
}
