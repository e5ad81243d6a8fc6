// The data-plane driver contract: what a network agent asks of the host to make the API's picture real. The noop
// driver keeps the picture in memory; the linuxbridge driver wires bridges, VXLAN, taps, dnsmasq and router
// namespaces with nftables NAT, and filters ports by their security groups. Every operation is idempotent (agents
// resync by replaying), and objects carry the Stratus prefix.
import type { PortDetails } from '../../domain/port-details.ts';
import type { DhcpNetwork } from '../../domain/dhcp-network.ts';
import type { RouterInfo, RouterWiring } from '../../domain/router-info.ts';
import type { SecurityGroupInfo } from '../../domain/security-group-info.ts';

export type { DhcpNetwork } from '../../domain/dhcp-network.ts';
export type { RouterInfo, RouterLeg, RouterWiring } from '../../domain/router-info.ts';

export interface NetworkSegment {
  networkId: string;
  networkType: string;
  physicalNetwork: string | null;
  segmentationId: number | null;
  mtu: number;
}

/** Every filtered port wired on this host, with its groups' rules and the members of the remote groups they name. */
export interface PortFilterState {
  /** Ports with port security on that are not the networking service's own (portIsFiltered). */
  ports: PortDetails[];
  groups: SecurityGroupInfo;
}

export interface DataPlaneDriver {
  readonly name: string;
  /** Prepares what the whole host shares (the external network's host leg) before the agent's first resync. Idempotent. */
  prepareHost?(): Promise<void>;
  /** Makes the network's bridge (and VXLAN/VLAN leg) exist on this host. Idempotent. */
  ensureNetwork(segment: NetworkSegment): Promise<void>;
  /** Removes the network's bridge and everything on it from this host. Idempotent: a missing network is fine. */
  deleteNetwork(networkId: string): Promise<void>;
  /** Wires (or rewires) a port's device on its network's bridge (its filter comes from syncPortFilters). Idempotent. */
  plugPort(port: PortDetails): Promise<void>;
  /**
   * Wires several ports of one network as plugPort each would, with fewer host commands. Idempotent; on a rejection
   * some may be wired and the agent plugs each with plugPort. Optional: without it the agent uses plugPort.
   */
  plugPorts?(ports: PortDetails[]): Promise<void>;
  /** Unwires a port and drops its filter; a port never plugged is fine. */
  unplugPort(portId: string): Promise<void>;
  /**
   * Makes the host's port filters exactly `state` (security group rules, anti-spoofing; ports not in it are not
   * filtered), in one atomic change. Idempotent. The agent calls it before it plugs a filtered port.
   */
  syncPortFilters?(state: PortFilterState): Promise<void>;
  /** What is wired now (for resync after a restart). */
  pluggedPorts(): Promise<string[]>;
  /** Makes the network's DHCP server serve exactly this (namespace, interface, dnsmasq, hosts). Idempotent. */
  syncDhcp(network: DhcpNetwork): Promise<void>;
  /** Stops the network's DHCP server and removes its namespace. Idempotent. */
  deleteDhcp(networkId: string): Promise<void>;
  /**
   * Makes the router's namespace match `router` (legs on their networks' bridges, routes, NAT, floating IPs, metadata
   * proxy) and says which legs and floating IPs carry traffic now. An administratively down router is removed. Idempotent.
   */
  syncRouter?(router: RouterInfo): Promise<RouterWiring>;
  /** Removes the router's namespace and everything in it. Idempotent: a router never wired is fine. */
  deleteRouter?(routerId: string): Promise<void>;
  /**
   * Removes what this driver wired that nothing claims any more (after a restart, once the server said what is),
   * port filters included.
   * Routers are only pruned when `routerIds` is given (an agent that hosts routers).
   */
  removeUnclaimed(claimed: { portIds: string[]; networkIds: string[]; routerIds?: string[] }): Promise<void>;
  /** Releases what the driver holds in process (not what it wired). */
  close(): Promise<void>;
}
