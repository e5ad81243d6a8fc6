// The noop data plane: keeps the networks and ports an agent would wire in memory and touches nothing on the host,
// for hosts without root or iproute2, tests, and scale runs.
import type { DataPlaneDriver, NetworkSegment } from '../data-plane-driver.ts';
import type { PortDetails } from '../../../domain/port-details.ts';

export interface NoopDriver extends DataPlaneDriver {
  /** What it would have wired, for tests. */
  state(): { networks: Map<string, NetworkSegment>; ports: Map<string, PortDetails> };
}

export function createNoopDriver(): NoopDriver {
  const networks = new Map<string, NetworkSegment>();
  const ports = new Map<string, PortDetails>();
  return {
    name: 'noop',
    async ensureNetwork(segment) { networks.set(segment.networkId, segment); },
    async deleteNetwork(networkId) {
      networks.delete(networkId);
      for (const [id, p] of ports) if (p.networkId === networkId) ports.delete(id);
    },
    async plugPort(port) {
      networks.set(port.networkId, { networkId: port.networkId, ...port.network });
      ports.set(port.portId, port);
    },
    async unplugPort(portId) { ports.delete(portId); },
    async refreshSecurityGroups() { /* nothing is filtered, so nothing to refresh */ },
    async pluggedPorts() { return [...ports.keys()]; },
    async close() { networks.clear(); ports.clear(); },
    state: () => ({ networks, ports }),
  };
}
