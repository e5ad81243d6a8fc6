// What an L3 agent needs to wire one router, as the server sends it (never read from the database on the agent):
// its legs with their addresses and networks, the external gateway, extra routes and floating IPs.
import type { PortDetails } from './port-details.ts';

/** An address on a router leg with the subnet it belongs to. */
export interface RouterLegAddress {
  subnetId: string; ipAddress: string; cidr: string; gatewayIp: string | null;
  /** The subnet's ipv6_ra_mode: whether (and how) the router advertises it. */
  ipv6RaMode?: string | null;
}

export interface RouterLeg {
  portId: string;
  networkId: string;
  macAddress: string;
  addresses: RouterLegAddress[];
  network: PortDetails['network'];
}

export interface RouterFloatingIp { id: string; floatingIpAddress: string; fixedIpAddress: string }

export interface RouterInfo {
  routerId: string;
  adminStateUp: boolean;
  enableSnat: boolean;
  /** The leg on the external network (null without a gateway). */
  gateway: RouterLeg | null;
  interfaces: RouterLeg[];
  /** Extra routes (`routes`), next hops on a leg's subnet. */
  routes: { destination: string; nexthop: string }[];
  /** Floating IPs associated through this router (only IPv4). */
  floatingIps: RouterFloatingIp[];
}

/** What a data plane reports after wiring a router: the legs and floating IPs that now carry traffic. */
export interface RouterWiring { portIds: string[]; floatingIpIds: string[] }

/** Who a metadata request comes from, as the metadata agent asks the server (Neutron's metadata agent lookup). */
export interface MetadataPortQuery { routerId?: string; networkId?: string; ipAddress: string }
export interface MetadataPort { portId: string; deviceId: string; projectId: string; networkId: string }
