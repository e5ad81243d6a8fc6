// The network agent's L3 side (Neutron's L3 agent): on `routers_updated` it asks the server for each router's full
// picture, has the data plane make its namespace match, and reports which legs and floating IPs now carry traffic.
// One router's syncs run in order; a router the server no longer gives this host (deleted, or moved to another
// host's L3 agent) is removed from it.
import type { BusContext, RpcClient } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import type { NetworkServerMethods, RouterInfo } from '../rpc/agent-rpc.ts';
import type { DataPlaneDriver } from './drivers/data-plane-driver.ts';
import type { KeyedQueue } from './keyed-queue.ts';

export interface L3RoutersDeps {
  server: RpcClient<NetworkServerMethods>;
  driver: DataPlaneDriver;
  host: string;
  queue: KeyedQueue;
  log: Logger;
}

export function createL3Routers(deps: L3RoutersDeps) {
  const { server, driver, host } = deps;
  /** What the routers wired here hold: their legs' ports and networks (so a resync keeps them). */
  const hosted = new Map<string, RouterInfo>();
  const key = (routerId: string) => `router:${routerId}`;

  async function sync(ctx: BusContext, routerId: string): Promise<void> {
    const info = await server.call('get_router', { routerId, host }, ctx);
    if (!info) {
      hosted.delete(routerId);
      await driver.deleteRouter?.(routerId);
      return;
    }
    const wiring = await driver.syncRouter?.(info) ?? null;
    if (wiring?.portIds.length) hosted.set(routerId, info);
    else hosted.delete(routerId);
    await server.call('update_router_state', { routerId, host, wiring }, ctx);
  }

  return {
    /** Queues a sync of each router (a cast from the server). */
    routersUpdated(ctx: BusContext, routerIds: string[]): void {
      for (const id of routerIds) deps.queue.push(key(id), () => sync(ctx, id));
    },
    /** Queues a sync of every router the server says this host hosts; resolves to their ids. */
    async resync(ctx: BusContext, timeoutMs: number): Promise<string[]> {
      const ids = await server.call('list_routers', { host }, ctx, { timeoutMs });
      for (const id of ids) deps.queue.push(key(id), () => sync(ctx, id));
      return ids;
    },
    /** How many routers are wired here now (the L3 agent's heartbeat). */
    count: () => hosted.size,
    /** The ports and networks the hosted routers' legs claim. */
    claimed(): { portIds: string[]; networkIds: string[] } {
      const legs = [...hosted.values()].flatMap((r) => [...r.interfaces, ...(r.gateway ? [r.gateway] : [])]);
      return { portIds: legs.map((l) => l.portId), networkIds: [...new Set(legs.map((l) => l.networkId))] };
    },
  };
}

export type L3Routers = ReturnType<typeof createL3Routers>;
