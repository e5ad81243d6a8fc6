// L3 agent scheduling (Neutron's l3_agent_scheduler with the LeastRoutersScheduler, no HA): a router is bound to one
// alive, enabled L3 agent when it first needs a host — a gateway or an interface — and its legs' binding:host_id is
// that agent's host. Only that host is told about it (routers_updated cast to it alone), and only it is given the
// router by get_router/list_routers. A router whose agent dies stays there unless allow_automatic_l3agent_failover.
import type { RequestContext } from '#lib/context.ts';
import { newRequestId } from '#lib/context.ts';
import { bindRouter, listAgents, routerAgent, routerCounts, routersOfAgent, unbindRouter } from '../db/agents-repo.ts';
import { portsByDevice } from '../db/ports-repo.ts';
import { GATEWAY_OWNER, INTERFACE_OWNER, getRouter } from '../db/routers-repo.ts';
import { touchRow } from '../db/standard-attrs.ts';
import type { AgentRow } from '../db/tables.ts';
import { agentWired, now } from './deps.ts';
import type { NetworkApiDeps } from './deps.ts';

export const L3_AGENT_TYPE = 'L3 agent';

/** Alive: a heartbeat within agent_down_time seconds. */
export const isAlive = (deps: Pick<NetworkApiDeps, 'options'>, agent: AgentRow, at = Date.now()): boolean =>
  at - Date.parse(agent.heartbeat_timestamp) <= deps.options.agent_down_time * 1000;

/** Where a router may go: alive L3 agents that are administratively up, least loaded first (ties by host). */
async function candidates(deps: NetworkApiDeps, exclude?: string): Promise<AgentRow[]> {
  const counts = await routerCounts(deps.db);
  return (await listAgents(deps.db))
    .filter((a) => a.agent_type === L3_AGENT_TYPE && Boolean(a.admin_state_up) && isAlive(deps, a) && a.id !== exclude)
    .sort((a, b) => (counts.get(a.id) ?? 0) - (counts.get(b.id) ?? 0) || a.host.localeCompare(b.host));
}

async function legs(deps: NetworkApiDeps, routerId: string) {
  return [...await portsByDevice(deps.db, routerId, GATEWAY_OWNER), ...await portsByDevice(deps.db, routerId, INTERFACE_OWNER)];
}

/**
 * Binds the router's legs to `host` ('' when it has none): a leg that changes host waits for the new host to report
 * it wired (DOWN until then), as any port does with a real data plane.
 */
export async function bindLegs(deps: NetworkApiDeps, routerId: string, host: string): Promise<void> {
  for (const port of await legs(deps, routerId)) {
    if (port.binding_host_id === host) continue;
    const status = agentWired(deps) ? 'DOWN' : port.status;
    await touchRow(deps.db, 'ports', port.id, { changes: { binding_host_id: host, status }, now: now() });
  }
}

/** The router's L3 agent: the one hosting it, else (when it has legs to wire) the least loaded candidate, else none. */
export async function scheduleRouter(deps: NetworkApiDeps, routerId: string): Promise<AgentRow | undefined> {
  const hosting = await routerAgent(deps.db, routerId);
  if (hosting) return hosting;
  if (!(await legs(deps, routerId)).length || !await getRouter(deps.db, routerId)) return undefined;
  const [best] = await candidates(deps);
  if (!best) {
    deps.log.warn({ routerId }, 'no alive L3 agent to host the router; it is scheduled when one reports');
    return undefined;
  }
  if (!await bindRouter(deps.db, routerId, best.id)) return routerAgent(deps.db, routerId);
  await bindLegs(deps, routerId, best.host);
  deps.log.info({ routerId, agentId: best.id, host: best.host }, 'router scheduled to an L3 agent');
  return best;
}

/**
 * What the API does instead of a fanout when routers change: schedule each (if it now needs a host) and cast
 * routers_updated to its host. `formerHosts` also hear of it (a deleted or moved router's host tears it down).
 */
export async function routersChanged(deps: NetworkApiDeps, ctx: RequestContext, routerIds: string[], formerHosts: string[] = []): Promise<void> {
  const byHost = new Map<string, string[]>();
  const add = (host: string, id: string) => byHost.set(host, [...new Set([...byHost.get(host) ?? [], id])]);
  for (const id of routerIds) {
    const agent = await scheduleRouter(deps, id);
    if (agent) {
      await bindLegs(deps, id, agent.host);
      add(agent.host, id);
    }
    for (const host of formerHosts) add(host, id);
  }
  for (const [host, ids] of byHost) deps.events.agentOn(ctx, host, 'routers_updated', { routerIds: ids });
}

/** The host hosting the router now ('' for none), for callers that must tell it after the router is gone. */
export async function routerHost(deps: NetworkApiDeps, routerId: string): Promise<string> {
  return (await routerAgent(deps.db, routerId))?.host ?? '';
}

/**
 * An L3 agent's resync (Neutron's sync_routers with router_auto_schedule): routers that need a host and have none
 * go to this agent if it may take them; answers the routers it hosts.
 */
export async function hostRouters(deps: NetworkApiDeps, host: string): Promise<string[]> {
  const agent = (await listAgents(deps.db)).find((a) => a.agent_type === L3_AGENT_TYPE && a.host === host);
  if (!agent) return [];
  if (agent.admin_state_up && isAlive(deps, agent)) {
    const unhosted = await deps.db.selectFrom('routers').select('id')
      .where('id', 'not in', deps.db.selectFrom('router_l3_agent_bindings').select('router_id')).orderBy('id').execute();
    for (const { id } of unhosted) {
      if ((await legs(deps, id)).length && await bindRouter(deps.db, id, agent.id)) await bindLegs(deps, id, host);
    }
  }
  return routersOfAgent(deps.db, agent.id);
}

/** Whether `host` is where the router is hosted (stale reports and requests from elsewhere are ignored). */
export async function hostsRouter(deps: NetworkApiDeps, routerId: string, host: string): Promise<boolean> {
  return (await routerAgent(deps.db, routerId))?.host === host;
}

/** Moves a router off an agent: unbinds it and tells that host; false when it was not hosted there. */
export async function removeRouterFromAgent(deps: NetworkApiDeps, ctx: RequestContext, agent: AgentRow, routerId: string): Promise<boolean> {
  if (!await unbindRouter(deps.db, routerId, agent.id)) return false;
  await bindLegs(deps, routerId, '');
  deps.events.agentOn(ctx, agent.host, 'routers_updated', { routerIds: [routerId] });
  return true;
}

/** Binds an unhosted router to the agent and tells its host; false when another agent got it first. */
export async function addRouterToAgent(deps: NetworkApiDeps, ctx: RequestContext, agent: AgentRow, routerId: string): Promise<boolean> {
  if (!await bindRouter(deps.db, routerId, agent.id)) return false;
  await bindLegs(deps, routerId, agent.host);
  deps.events.agentOn(ctx, agent.host, 'routers_updated', { routerIds: [routerId] });
  return true;
}

/**
 * allow_automatic_l3agent_failover: routers on dead L3 agents move to alive ones (least loaded), each move a
 * conditional unbind so two servers never move one router twice. Routers with no alive candidate stay.
 */
export async function rescheduleFromDeadAgents(deps: NetworkApiDeps): Promise<number> {
  const id = newRequestId();
  const ctx: RequestContext = { requestId: id, globalRequestId: id, log: deps.log };
  let moved = 0;
  for (const dead of (await listAgents(deps.db)).filter((a) => a.agent_type === L3_AGENT_TYPE && !isAlive(deps, a))) {
    for (const routerId of await routersOfAgent(deps.db, dead.id)) {
      const [target] = await candidates(deps, dead.id);
      if (!target) return moved;
      if (!await unbindRouter(deps.db, routerId, dead.id)) continue;
      deps.events.agentOn(ctx, dead.host, 'routers_updated', { routerIds: [routerId] });
      if (await addRouterToAgent(deps, ctx, target, routerId)) moved += 1;
      deps.log.warn({ routerId, from: dead.host, to: target.host }, 'router moved off a dead L3 agent');
    }
  }
  return moved;
}
