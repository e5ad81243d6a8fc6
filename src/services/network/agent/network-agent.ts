// The per-host network agent (Neutron's L2 agent role): listens for the server's fanout on `network-agent`, wires
// the ports bound to its host through the data-plane driver, and reports them up to the server. It never touches
// the database: what it needs comes in the cast or from the server by RPC (get_device_details).
import type { Bus, BusContext, Subscription } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import { networkAgentRpc, networkServerRpc } from '../rpc/agent-rpc.ts';
import type { DataPlaneDriver } from './drivers/data-plane-driver.ts';

export interface NetworkAgentDeps {
  bus: Bus;
  /** The host name ports are bound to (binding:host_id). */
  host: string;
  driver: DataPlaneDriver;
  log: Logger;
}

export interface NetworkAgent {
  /** Stops listening; what is wired stays wired (a restart resyncs). */
  stop(): Promise<void>;
}

export async function startNetworkAgent(deps: NetworkAgentDeps): Promise<NetworkAgent> {
  const server = networkServerRpc.client(deps.bus);
  const plugged = new Set(await deps.driver.pluggedPorts());
  const report = async (ctx: BusContext, portId: string) => {
    try {
      await server.call('update_device_up', { portId, host: deps.host }, ctx);
    } catch (err) {
      deps.log.warn({ err: (err as Error).message, portId }, 'cannot report a port up');
    }
  };
  const sub: Subscription = await networkAgentRpc.serve(deps.bus, deps.host, {
    async port_update(ctx, { port }) {
      if (port.hostId !== deps.host) {
        // Bound elsewhere now (a migration): let go of it here.
        if (plugged.delete(port.portId)) await deps.driver.unplugPort(port.portId);
        return;
      }
      await deps.driver.plugPort(port);
      plugged.add(port.portId);
      await report(ctx, port.portId);
    },
    async port_delete(_ctx, { portId, hostId }) {
      // Sent for a delete and for the old host of a rebound port: only that host lets go.
      if (hostId === deps.host && plugged.delete(portId)) await deps.driver.unplugPort(portId);
    },
    async network_update() { /* the next port_update carries the network's new details */ },
    async network_delete(_ctx, { networkId }) { await deps.driver.deleteNetwork(networkId); },
    async subnet_update() { /* DHCP is a later slice */ },
    async security_groups_rule_updated(_ctx, { securityGroupIds }) { await deps.driver.refreshSecurityGroups?.(securityGroupIds); },
    async security_groups_member_updated(_ctx, { securityGroupIds }) { await deps.driver.refreshSecurityGroups?.(securityGroupIds); },
    async routers_updated() { /* routers are the L3 agent's, a later slice */ },
  });
  deps.log.info({ host: deps.host, driver: deps.driver.name }, 'network agent listening');
  return { stop: () => sub.close() };
}
