// The data-plane driver contract: what a network agent asks of the host to make the API's picture real. The noop
// driver keeps the picture in memory; the linuxbridge driver wires bridges, VXLAN, taps, dnsmasq and router
// namespaces with nftables NAT (security groups are a later slice). Every operation is idempotent (agents resync by
// replaying), and objects carry the Stratus prefix.
import type { PortDetails } from '../../domain/port-details.ts';
import type { DhcpNetwork } from '../../domain/dhcp-network.ts';
import type { RouterInfo, RouterWiring } from '../../domain/router-info.ts';

export type { DhcpNetwork } from '../../domain/dhcp-network.ts';
export type { RouterInfo, RouterLeg, RouterWiring } from '../../domain/router-info.ts';

export interface NetworkSegment {
  networkId: string;
  networkType: string;
  physicalNetwork: string | null;
  segmentationId: number | null;
  mtu: number;
}

export interface DataPlaneDriver {
  readonly name: string;
  /** Prepares what the whole host shares (the external network's host leg) before the agent's first resync. Idempotent. */
  prepareHost?(): Promise<void>;
  /** Makes the network's bridge (and VXLAN/VLAN leg) exist on this host. Idempotent. */
  ensureNetwork(segment: NetworkSegment): Promise<void>;
  /** Removes the network's bridge and everything on it from this host. Idempotent: a missing network is fine. */
  deleteNetwork(networkId: string): Promise<void>;
  /** Wires (or rewires) a port: device on the bridge, security group and anti-spoofing rules. Idempotent. */
  plugPort(port: PortDetails): Promise<void>;
  /** Unwires a port; a port never plugged is fine. */
  unplugPort(portId: string): Promise<void>;
  /** Re-applies security group rules for ports in these groups (rule or membership changes). */
  refreshSecurityGroups?(securityGroupIds: string[]): Promise<void>;
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
   * Removes what this driver wired that nothing claims any more (after a restart, once the server said what is).
   * Routers are only pruned when `routerIds` is given (an agent that hosts routers).
   */
  removeUnclaimed(claimed: { portIds: string[]; networkIds: string[]; routerIds?: string[] }): Promise<void>;
  /** Releases what the driver holds in process (not what it wired). */
  close(): Promise<void>;
}
