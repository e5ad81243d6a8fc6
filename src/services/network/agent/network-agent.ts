// The per-host network agent (Neutron's L2, DHCP and L3 agents in one): listens for the server's fanout on
// `network-agent`, wires the ports bound to its host through the data-plane driver and reports them up, (with
// `dhcp`) runs a DHCP server per network with a DHCP-enabled subnet, and (with `l3`) wires routers (l3-routers.ts).
// Filtered ports get their security group filter before their device is wired (port-filters.ts). It never touches
// the database: what it needs comes in the cast or from the server by RPC. On start it resyncs: rewires what the
// server says is bound here, and lets the driver remove what nothing claims.
import type { Bus, BusContext, Subscription } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import { newRequestId } from '#lib/context.ts';
import { networkAgentRpc, networkServerRpc } from '../rpc/agent-rpc.ts';
import type { PortDetails } from '../rpc/agent-rpc.ts';
import type { DataPlaneDriver } from './drivers/data-plane-driver.ts';
import { createKeyedQueue } from './keyed-queue.ts';
import type { KeyedQueue } from './keyed-queue.ts';
import { createL3Routers } from './l3-routers.ts';
import { createPortFilters } from './port-filters.ts';
import { agentStates } from './agent-state.ts';

export interface NetworkAgentDeps {
  bus: Bus;
  /** The host name ports are bound to (binding:host_id). */
  host: string;
  driver: DataPlaneDriver;
  /** Serve DHCP for every network with a DHCP-enabled subnet (one such agent per cloud; Neutron schedules them). */
  dhcp: boolean;
  /** Host routers (Neutron's L3 agent): those the server schedules to this host. */
  l3?: boolean;
  /** Pause between heartbeats (report_state; default 30 s). */
  reportIntervalMs?: number;
  log: Logger;
  /** Pause between resync attempts while the server does not answer (default 5 s), and how long one waits (10 s). */
  resyncRetryMs?: number;
  resyncTimeoutMs?: number;
}

export interface NetworkAgent {
  /** Resolves once the start-up resync with the server has run (or the agent stopped first). */
  readonly resynced: Promise<void>;
  /** Stops listening; what is wired stays wired (a restart resyncs). */
  stop(): Promise<void>;
  /** Waits for the resync and the work queued so far (tests). */
  settled(): Promise<void>;
}

export async function startNetworkAgent(deps: NetworkAgentDeps): Promise<NetworkAgent> {
  const { driver, host, log } = deps;
  const server = networkServerRpc.client(deps.bus);
  // One network's changes apply in order (a port plug never races its network's delete); networks run in parallel.
  const jobs = createKeyedQueue((err, key) => log.warn({ err: (err as Error).message, networkId: key }, 'network agent work failed'));
  // Port updates for a network that arrive while its queue is busy join one batch (one filter apply, one host batch);
  // any other job for that network closes the batch, so work still applies in the order it came.
  const openBatches = new Map<string, Map<string, { ctx: BusContext; port: PortDetails }>>();
  const queue: KeyedQueue = {
    push(key, job) {
      openBatches.delete(key);
      jobs.push(key, job);
    },
    idle: () => jobs.idle(),
  };
  const plugged = new Set<string>();
  const own = (): BusContext => { const id = newRequestId(); return { requestId: id, globalRequestId: id }; };
  const report = async (ctx: BusContext, portId: string, up = true) => {
    try {
      await server.call(up ? 'update_device_up' : 'update_device_down', { portId, host }, ctx);
    } catch (err) {
      log.warn({ err: (err as Error).message, portId }, `cannot report a port ${up ? 'up' : 'down'}`);
    }
  };
  const filters = createPortFilters({ server, driver, host, context: own, log, retryMs: deps.resyncRetryMs ?? 5_000 });
  const unplug = async (portId: string) => {
    if (!plugged.delete(portId)) return;
    await driver.unplugPort(portId);
    await filters.portUnwired(portId);
  };
  const portUpdated = (ctx: BusContext, port: PortDetails) => {
    const open = openBatches.get(port.networkId);
    if (open) {
      open.set(port.portId, { ctx, port });
      return;
    }
    const batch = new Map([[port.portId, { ctx, port }]]);
    queue.push(port.networkId, async () => {
      if (openBatches.get(port.networkId) === batch) openBatches.delete(port.networkId);
      await wire([...batch.values()]);
    });
    openBatches.set(port.networkId, batch);
  };
  /** A batch of one network's port updates: let go of those bound elsewhere now (a migration), plug the rest. */
  const wire = async (batch: { ctx: BusContext; port: PortDetails }[]) => {
    for (const { port } of batch) if (port.hostId !== host) await unplug(port.portId);
    const here = batch.filter(({ port }) => port.hostId === host);
    if (here.length < 2 || !driver.plugPorts) {
      for (const { ctx, port } of here) await plug(ctx, port);
      return;
    }
    // Every filter first, as for one port: if they cannot be applied, nothing is plugged.
    await filters.portsWired(here.map(({ port }) => port));
    try {
      await driver.plugPorts(here.map(({ port }) => port));
    } catch (err) {
      log.warn({ err: (err as Error).message, ports: here.length }, 'wiring a batch of ports failed; wiring them one by one');
      for (const { ctx, port } of here) await plug(ctx, port).catch((e: unknown) => log.warn({ err: (e as Error).message, portId: port.portId }, 'cannot wire a port'));
      return;
    }
    for (const { port } of here) plugged.add(port.portId);
    await Promise.all(here.map(({ ctx, port }) => report(ctx, port.portId, port.adminStateUp)));
  };
  const plug = async (ctx: BusContext, port: PortDetails) => {
    // The filter first, so a device never carries traffic unfiltered; if it cannot be applied, nothing is plugged.
    await filters.portWired(port);
    await driver.plugPort(port);
    plugged.add(port.portId);
    // An administratively down port is wired but its device is down, and so is its status (as in Neutron).
    await report(ctx, port.portId, port.adminStateUp);
  };
  // Neutron's DHCP agent loop for one network: ask what to serve, make sure our DHCP port exists, apply.
  const syncDhcp = async (ctx: BusContext, networkId: string) => {
    let info = await server.call('get_dhcp_network', { networkId, host }, ctx);
    if (info?.subnets.length && (!info.dhcpPort || info.dhcpPort.fixedIps.length < info.subnets.length)) {
      await server.call('ensure_dhcp_port', { networkId, host }, ctx);
      info = await server.call('get_dhcp_network', { networkId, host }, ctx);
    }
    if (!info || !info.subnets.length || !info.dhcpPort) {
      await driver.deleteDhcp(networkId);
      return;
    }
    await driver.syncDhcp(info);
    if (!plugged.has(info.dhcpPort.portId)) {
      plugged.add(info.dhcpPort.portId);
      await report(ctx, info.dhcpPort.portId);
    }
  };
  // A sync not yet started serves every change before it: a burst of port changes costs one sync, not one each.
  const dhcpQueued = new Set<string>();
  const dhcpChanged = (ctx: BusContext, networkId: string) => {
    if (!deps.dhcp || dhcpQueued.has(networkId)) return;
    dhcpQueued.add(networkId);
    queue.push(networkId, () => {
      dhcpQueued.delete(networkId);
      return syncDhcp(ctx, networkId);
    });
  };
  const l3 = deps.l3 ? createL3Routers({ server, driver, host, queue, log }) : undefined;

  // Heartbeats register this host's agents and keep them alive; the resync sends the first (start) before it asks
  // for routers, so the server may schedule routers here.
  let started = false;
  const reportState = async (timeoutMs?: number) => {
    const agents = agentStates({ driver: driver.name, dhcp: deps.dhcp, l3: Boolean(l3), routers: l3?.count() ?? 0 });
    await server.call('report_state', { host, agents, start: !started }, own(), { timeoutMs });
    started = true;
  };
  const heartbeat = setInterval(() => {
    reportState().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'cannot report the agent state'));
  }, deps.reportIntervalMs ?? 30_000);
  heartbeat.unref();

  // Host-wide pieces (the external network's host leg) come before anything is wired on them.
  await driver.prepareHost?.();

  const sub: Subscription = await networkAgentRpc.serve(deps.bus, host, {
    async port_update(ctx, { port }) {
      // Router legs are bound to their L3 host too, but its L3 side wires them.
      if (!port.deviceOwner.startsWith('network:router_')) portUpdated(ctx, port);
    },
    async port_delete(_ctx, { portId, networkId, hostId }) {
      // Sent for a delete and for the old host of a rebound port: only that host lets go.
      if (hostId === host) queue.push(networkId, () => unplug(portId));
    },
    async network_update() { /* the next port_update carries the network's new details */ },
    async network_delete(_ctx, { networkId }) {
      queue.push(networkId, async () => {
        await driver.deleteDhcp(networkId);
        await driver.deleteNetwork(networkId);
      });
    },
    async subnet_update(ctx, { networkId }) { dhcpChanged(ctx, networkId); },
    async network_ports_changed(ctx, { networkId }) { dhcpChanged(ctx, networkId); },
    async security_groups_rule_updated(_ctx, { securityGroupIds }) { filters.groupsChanged(securityGroupIds); },
    async security_groups_member_updated(_ctx, { securityGroupIds }) { filters.groupsChanged(securityGroupIds); },
    async routers_updated(ctx, { routerIds }) { l3?.routersUpdated(ctx, routerIds); },
  });
  // The resync runs beside the casts (the server may start after its agents) and retries until the server answers.
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const resynced = new Promise<void>((resolve) => {
    const attempt = () => {
      void resync().then((done) => {
        if (done || stopped) resolve();
        else retry = setTimeout(attempt, deps.resyncRetryMs ?? 5_000);
      });
    };
    attempt();
  });
  log.info({ host, driver: driver.name, dhcp: deps.dhcp, l3: Boolean(l3) }, 'network agent listening');
  return {
    resynced,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(heartbeat);
      filters.stop();
      await sub.close();
    },
    settled: async () => { await resynced; await queue.idle(); await filters.idle(); },
  };

  /** Rewires what the server says is bound here and serves its DHCP networks, then removes what nothing claims. */
  async function resync(): Promise<boolean> {
    let ports: PortDetails[];
    let dhcpNetworks: string[];
    let routerIds: string[] | undefined;
    try {
      const timeoutMs = deps.resyncTimeoutMs ?? 10_000;
      await reportState(timeoutMs);
      ports = await server.call('get_host_ports', { host }, own(), { timeoutMs });
      dhcpNetworks = deps.dhcp ? await server.call('list_dhcp_networks', { host }, own(), { timeoutMs }) : [];
      routerIds = l3 ? await l3.resync(own(), timeoutMs) : undefined;
    } catch (err) {
      // Without the server's word nothing may be removed: keep what is wired, casts bring changes meanwhile.
      log.warn({ err: (err as Error).message }, 'network agent cannot resync with the server yet; keeping what is wired and retrying');
      return false;
    }
    // Every port's filter in one apply before any is (re)plugged, so none is briefly unfiltered after a restart.
    filters.record(ports);
    await filters.apply().catch(() => { /* logged; each plug retries it */ });
    for (const port of ports) portUpdated(own(), port);
    for (const networkId of dhcpNetworks) dhcpChanged(own(), networkId);
    await queue.idle();
    const legs = l3?.claimed() ?? { portIds: [], networkIds: [] };
    const networkIds = [...new Set([...ports.map((p) => p.networkId), ...dhcpNetworks, ...legs.networkIds])];
    await driver.removeUnclaimed({ portIds: [...plugged, ...legs.portIds], networkIds, routerIds });
    log.info({ ports: ports.length, dhcpNetworks: dhcpNetworks.length, routers: routerIds?.length }, 'network agent resynced');
    return true;
  }
}
