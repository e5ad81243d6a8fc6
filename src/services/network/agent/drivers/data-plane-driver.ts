// The data-plane driver contract: what a network agent asks of the host to make the API's picture real. The noop
// driver keeps the picture in memory; the linuxbridge driver (a later slice) wires bridges, VXLAN, taps, dnsmasq and
// nftables. Every operation is idempotent (agents resync by replaying), and objects carry the Stratus prefix.
import type { PortDetails } from '../../domain/port-details.ts';

export interface NetworkSegment {
  networkId: string;
  networkType: string;
  physicalNetwork: string | null;
  segmentationId: number | null;
  mtu: number;
}

export interface DataPlaneDriver {
  readonly name: string;
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
  /** Releases what the driver holds in process (not what it wired). */
  close(): Promise<void>;
}
