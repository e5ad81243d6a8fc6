// The server's side of the agent contract (`network-server` topic): agents ask for a device's details and report
// it up or down, which moves the port's status as Neutron's plugin does; L3 agents ask for routers and report them
// wired; metadata agents ask which port a guest address is; every agent asks for its ports' security group rules
// and reports its heartbeat (report_state).
import type { Bus, Subscription } from '#lib/bus/index.ts';
import { getNetwork } from '../db/networks-repo.ts';
import { getPort } from '../db/ports-repo.ts';
import { touchRow } from '../db/standard-attrs.ts';
import { networkServerRpc } from '../rpc/agent-rpc.ts';
import { now } from './deps.ts';
import type { NetworkApiDeps } from './deps.ts';
import { portDetails } from './ports.ts';
import { dhcpNetworkIds, dhcpNetworkInfo, ensureDhcpPort } from './dhcp-ports.ts';
import { metadataPort, routerInfo, updateRouterState } from './l3-agents.ts';
import { hostRouters } from './l3-scheduler.ts';
import { recordHeartbeat } from '../db/agents-repo.ts';
import { GATEWAY_OWNER, INTERFACE_OWNER } from '../db/routers-repo.ts';
import { securityGroupInfo } from './security-group-info.ts';

/** Serves agents' calls until the subscription closes. Several servers may serve one topic (competing consumers). */
export function serveAgents(bus: Bus, host: string, deps: NetworkApiDeps): Promise<Subscription> {
  const setStatus = async (portId: string, agentHost: string, status: 'ACTIVE' | 'DOWN') => {
    const port = await getPort(deps.db, portId);
    // A report from a host the port is no longer bound to is stale (the port moved): ignore it.
    if (!port || port.binding_host_id !== agentHost || port.status === status) return;
    await touchRow(deps.db, 'ports', portId, { changes: { status }, now: now() });
  };
  return networkServerRpc.serve(bus, host, {
    async get_device_details(_ctx, { portId, host: agentHost }) {
      const port = await getPort(deps.db, portId);
      const network = port && await getNetwork(deps.db, port.network_id);
      if (!port || !network || port.binding_host_id !== agentHost) return null;
      return portDetails(deps, port, network);
    },
    update_device_up: (_ctx, { portId, host: agentHost }) => setStatus(portId, agentHost, 'ACTIVE'),
    update_device_down: (_ctx, { portId, host: agentHost }) => setStatus(portId, agentHost, 'DOWN'),
    async get_host_ports(_ctx, { host: agentHost }) {
      // Router legs are the L3 side's to wire (in the router's namespace), not the L2 side's.
      const ports = await deps.db.selectFrom('ports').selectAll().where('binding_host_id', '=', agentHost)
        .where('device_owner', 'not in', [GATEWAY_OWNER, INTERFACE_OWNER]).orderBy('id').execute();
      const out = [];
      for (const port of ports) {
        const network = await getNetwork(deps.db, port.network_id);
        if (network) out.push(await portDetails(deps, port, network));
      }
      return out;
    },
    list_dhcp_networks: () => dhcpNetworkIds(deps),
    get_dhcp_network: (_ctx, { networkId, host: agentHost }) => dhcpNetworkInfo(deps, networkId, agentHost),
    ensure_dhcp_port: (ctx, { networkId, host: agentHost }) => ensureDhcpPort(deps, { requestId: ctx.requestId, globalRequestId: ctx.globalRequestId, log: deps.log }, networkId, agentHost),
    list_routers: (_ctx, { host: agentHost }) => hostRouters(deps, agentHost),
    get_router: (_ctx, { routerId, host: agentHost }) => routerInfo(deps, routerId, agentHost),
    update_router_state: (_ctx, { routerId, host: agentHost, wiring }) => updateRouterState(deps, routerId, agentHost, wiring),
    async report_state(_ctx, { host: agentHost, agents, start }) {
      for (const a of agents) await recordHeartbeat(deps.db, { ...a, host: agentHost, start }, new Date().toISOString());
    },
    get_metadata_port: (_ctx, { query }) => metadataPort(deps, query),
    security_group_info: (_ctx, { securityGroupIds }) => securityGroupInfo(deps, securityGroupIds),
  });
}
