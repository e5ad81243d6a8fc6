// Picks the network agent's data-plane driver from the options: `noop` (the default: nothing on the host is
// touched) or `linuxbridge`, which refuses to start where it cannot work rather than half-wiring.
import type { Logger } from '#lib/log.ts';
import type { DataPlaneDriver } from './drivers/data-plane-driver.ts';
import { createNoopDriver } from './drivers/noop/noop-driver.ts';
import { createLinuxBridgeDriver } from './drivers/linuxbridge/linuxbridge-driver.ts';
import { linuxBridgeUnavailable } from './drivers/linuxbridge/host-prerequisites.ts';

export interface DataPlaneSettings {
  data_plane_driver: string;
  tunnel_ip: string;
  vxlan_group: string;
  vxlan_peers: readonly string[];
  physical_interface_mappings: readonly string[];
  dhcp_lease_seconds: number;
}

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

export function createDataPlaneDriver(options: DataPlaneSettings, stateDir: string, log: Logger): DataPlaneDriver {
  if (options.data_plane_driver !== 'linuxbridge') return createNoopDriver();
  const unavailable = linuxBridgeUnavailable();
  if (unavailable) throw new Error(`network data_plane_driver is linuxbridge, but ${unavailable}; set it to noop or run as root with the tools`);
  return createLinuxBridgeDriver({
    tunnelIp: options.tunnel_ip, vxlanGroup: options.vxlan_group, vxlanPeers: [...options.vxlan_peers],
    physicalInterfaces: parseInterfaceMappings(options.physical_interface_mappings), stateDir, dhcpLeaseSeconds: options.dhcp_lease_seconds, log,
  });
}
