// Picks the network agent's data-plane driver from the options: `noop` (the default: nothing on the host is
// touched) or `linuxbridge`, which refuses to start where it cannot work rather than half-wiring.
import type { Logger } from '#lib/log.ts';
import type { DataPlaneDriver } from './drivers/data-plane-driver.ts';
import { createNoopDriver } from './drivers/noop/noop-driver.ts';
import { createLinuxBridgeDriver } from './drivers/linuxbridge/linuxbridge-driver.ts';
import { linuxBridgeUnavailable, onPath, routersUnavailable } from './drivers/linuxbridge/host-prerequisites.ts';

export interface DataPlaneSettings {
  data_plane_driver: string;
  tunnel_ip: string;
  vxlan_group: string;
  vxlan_peers: readonly string[];
  physical_interface_mappings: readonly string[];
  dhcp_lease_seconds: number;
  host_external_cidr: string;
  host_external_ipv6_cidr: string;
  host_external_physnet: string;
  enable_isolated_metadata: boolean;
}

/** Names of the external network's host leg (devstack's br-ex on one host). */
export const EXTERNAL_HOST_INTERFACE = 'stratus-ex';
export const EXTERNAL_PHYSICAL_INTERFACE = 'stratus-ex-p';

/** `physnet1:eth1` entries as a map; a malformed entry is a configuration error. */
export function parseInterfaceMappings(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const [physnet, iface, ...rest] = entry.split(':').map((s) => s.trim());
    if (!physnet || !iface || rest.length) throw new Error(`physical_interface_mappings: '${entry}' is not physnet:interface`);
    out[physnet] = iface;
  }
  return out;
}

/**
 * The driver for these options; `routers` when this host hosts routers, `metadataSocket` (the metadata agent's) when
 * namespaces get a metadata proxy.
 */
export function createDataPlaneDriver(options: DataPlaneSettings, where: { stateDir: string; routers: boolean; metadataSocket?: string }, log: Logger): DataPlaneDriver {
  const { stateDir } = where;
  if (options.data_plane_driver !== 'linuxbridge') return createNoopDriver();
  const unavailable = linuxBridgeUnavailable();
  if (unavailable) throw new Error(`network data_plane_driver is linuxbridge, but ${unavailable}; set it to noop or run as root with the tools`);
  const noRouters = where.routers ? routersUnavailable() : undefined;
  if (noRouters) throw new Error(`network l3_agent is on, but ${noRouters}; install them or set network.l3_agent: false`);
  if (where.metadataSocket && !onPath('haproxy')) throw new Error('network metadata_proxy is on, but the metadata proxies need haproxy (Debian package haproxy); install it or set network.metadata_proxy: false');
  return createLinuxBridgeDriver({
    tunnelIp: options.tunnel_ip, vxlanGroup: options.vxlan_group, vxlanPeers: [...options.vxlan_peers],
    physicalInterfaces: parseInterfaceMappings(options.physical_interface_mappings), stateDir, dhcpLeaseSeconds: options.dhcp_lease_seconds, log,
    externalHostLeg: options.host_external_cidr ? {
      hostInterface: EXTERNAL_HOST_INTERFACE, physicalInterface: EXTERNAL_PHYSICAL_INTERFACE, cidr: options.host_external_cidr, physicalNetwork: options.host_external_physnet,
      ...(options.host_external_ipv6_cidr ? { ipv6Cidr: options.host_external_ipv6_cidr } : {}),
    } : undefined,
    metadataSocket: where.metadataSocket, isolatedMetadata: options.enable_isolated_metadata,
  });
}
