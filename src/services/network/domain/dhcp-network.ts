// What a DHCP server for one network needs, as the server sends it to the agent (never read from the database there).
export interface DhcpSubnet {
  subnetId: string;
  ipVersion: number;
  cidr: string;
  gatewayIp: string | null;
  dnsNameservers: string[];
  hostRoutes: { destination: string; nexthop: string }[];
  /** No router interface on the subnet: its guests reach metadata through the DHCP namespace (isolated metadata). */
  isolated?: boolean;
  /** IPv6: the subnet's ipv6_address_mode and ipv6_ra_mode (which decide whether and how DHCPv6 serves it). */
  ipv6AddressMode?: string | null;
  ipv6RaMode?: string | null;
}

/** One fixed address ↔ MAC entry. */
export interface DhcpHost { portId: string; macAddress: string; ipAddress: string; hostname: string }

export interface DhcpNetwork {
  networkId: string;
  network: { networkType: string; physicalNetwork: string | null; segmentationId: number | null; mtu: number };
  /** The DHCP-enabled subnets (none: the network needs no DHCP server). */
  subnets: DhcpSubnet[];
  /** This host's `network:dhcp` port, null until it exists. */
  dhcpPort: { portId: string; macAddress: string; fixedIps: { subnetId: string; ipAddress: string }[] } | null;
  hosts: DhcpHost[];
}

/** Neutron's default host name for an address: `host-10-0-0-5`, `host-fd00--5`. */
export const hostnameFor = (ip: string): string => `host-${ip.replace(/[.:]/g, '-')}`;

/** The device_id of a host's DHCP port on a network (one per host and network, as Neutron's agent names it). */
export const dhcpDeviceId = (host: string, networkId: string): string => `dhcp-${host}-${networkId}`;
