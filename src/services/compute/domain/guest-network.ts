// The instance's network as its metadata describes it, read through Networking: ports with their networks' MTU, the
// subnets their addresses are on, and their floating IPs. Shared by the metadata API and the agent's config drive; the
// reader is Networking's client, seen through the few fields used here.
import type { GuestNetwork, MetadataSubnet } from './instance-metadata.ts';

interface PortView {
  id: string;
  network_id: string;
  mac_address: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  'binding:vif_type'?: string;
}

interface SubnetView {
  id: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: { destination: string; nexthop: string }[];
  ipv6_address_mode: string | null;
}

export interface GuestNetworkReader {
  listPorts(filters: { device_id: string }): Promise<PortView[]>;
  getSubnet(id: string): Promise<SubnetView | undefined>;
  getNetwork(id: string): Promise<{ id: string; mtu: number } | undefined>;
  listFloatingIps(filters: { port_id: string[] }): Promise<{ port_id: string | null; floating_ip_address: string }[]>;
}

const unique = <T>(values: T[]): T[] => [...new Set(values)];

function toSubnet(s: SubnetView): MetadataSubnet {
  return {
    id: s.id, ipVersion: s.ip_version, cidr: s.cidr, gatewayIp: s.gateway_ip, enableDhcp: s.enable_dhcp, dnsNameservers: s.dns_nameservers,
    hostRoutes: s.host_routes, ipv6AddressMode: s.ipv6_address_mode,
  };
}

export async function guestNetworkOf(client: GuestNetworkReader | undefined, instanceId: string): Promise<GuestNetwork> {
  if (!client) return { ports: [], subnets: [] };
  const ports = await client.listPorts({ device_id: instanceId });
  if (!ports.length) return { ports: [], subnets: [] };
  const [subnets, networks, floatingIps] = await Promise.all([
    Promise.all(unique(ports.flatMap((p) => p.fixed_ips.map((f) => f.subnet_id))).map((id) => client.getSubnet(id))),
    Promise.all(unique(ports.map((p) => p.network_id)).map((id) => client.getNetwork(id))),
    client.listFloatingIps({ port_id: ports.map((p) => p.id) }),
  ]);
  const mtu = new Map(networks.filter((n) => n !== undefined).map((n) => [n.id, n.mtu]));
  return {
    ports: ports.map((p) => ({
      portId: p.id, networkId: p.network_id, macAddress: p.mac_address, mtu: mtu.get(p.network_id) ?? null, vifType: p['binding:vif_type'] ?? 'unbound',
      fixedIps: p.fixed_ips.map((f) => ({ address: f.ip_address, subnetId: f.subnet_id })),
      floatingIps: floatingIps.filter((f) => f.port_id === p.id).map((f) => f.floating_ip_address),
    })),
    subnets: subnets.filter((s) => s !== undefined).map(toSubnet),
  };
}
