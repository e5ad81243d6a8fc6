// The noop data plane: keeps the networks and ports an agent would wire in memory and touches nothing on the host,
// for hosts without root or iproute2, tests, and scale runs.
import type { DataPlaneDriver, DhcpNetwork, NetworkSegment, PortFilterState, RouterInfo } from '../data-plane-driver.ts';
import type { PortDetails } from '../../../domain/port-details.ts';

export interface NoopDriver extends DataPlaneDriver {
  /** What it would have wired, for tests. */
  state(): { networks: Map<string, NetworkSegment>; ports: Map<string, PortDetails>; dhcp: Map<string, DhcpNetwork>; routers: Map<string, RouterInfo>; filters: PortFilterState };
}

export function createNoopDriver(): NoopDriver {
  const networks = new Map<string, NetworkSegment>();
  const ports = new Map<string, PortDetails>();
  const dhcp = new Map<string, DhcpNetwork>();
  const routers = new Map<string, RouterInfo>();
  let filters: PortFilterState = { ports: [], groups: { rules: {}, members: {} } };
  const dropFilters = (keep: (portId: string) => boolean) => { filters = { ...filters, ports: filters.ports.filter((p) => keep(p.portId)) }; };
  return {
    name: 'noop',
    async ensureNetwork(segment) { networks.set(segment.networkId, segment); },
    async deleteNetwork(networkId) {
      networks.delete(networkId);
      dhcp.delete(networkId);
      for (const [id, p] of ports) if (p.networkId === networkId) ports.delete(id);
    },
    async plugPort(port) {
      networks.set(port.networkId, { networkId: port.networkId, ...port.network });
      ports.set(port.portId, port);
    },
    async unplugPort(portId) {
      ports.delete(portId);
      dropFilters((id) => id !== portId);
    },
    async syncPortFilters(state) { filters = state; },
    async pluggedPorts() { return [...ports.keys()]; },
    async syncDhcp(network) { dhcp.set(network.networkId, network); },
    async deleteDhcp(networkId) { dhcp.delete(networkId); },
    async syncRouter(router) {
      if (!router.adminStateUp) {
        routers.delete(router.routerId);
        return { portIds: [], floatingIpIds: [] };
      }
      routers.set(router.routerId, router);
      const legs = [...router.interfaces, ...(router.gateway ? [router.gateway] : [])];
      return { portIds: legs.map((l) => l.portId), floatingIpIds: router.gateway ? router.floatingIps.map((f) => f.id) : [] };
    },
    async deleteRouter(routerId) { routers.delete(routerId); },
    async removeUnclaimed({ portIds, networkIds, routerIds }) {
      if (routerIds) for (const id of routers.keys()) if (!routerIds.includes(id)) routers.delete(id);
      for (const id of ports.keys()) if (!portIds.includes(id)) ports.delete(id);
      dropFilters((id) => portIds.includes(id));
      for (const id of networks.keys()) if (!networkIds.includes(id)) networks.delete(id);
      for (const id of dhcp.keys()) if (!networkIds.includes(id)) dhcp.delete(id);
    },
    async close() { networks.clear(); ports.clear(); dhcp.clear(); routers.clear(); },
    state: () => ({ networks, ports, dhcp, routers, filters }),
  };
}
