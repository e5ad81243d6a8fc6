// Agents and router ↔ L3 agent bindings: the heartbeat upsert, lookups, and the binding writes scheduling makes.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AgentRow, NetworkTables } from './tables.ts';

type Db = Kysely<NetworkTables>;

export interface AgentReport {
  agentType: string;
  binary: string;
  topic: string;
  host: string;
  availabilityZone: string | null;
  configurations: Record<string, unknown>;
  /** The agent (re)started: started_at moves to now. */
  start: boolean;
}

/** Records a heartbeat: the agent's row is created on its first report, else refreshed. Returns the row. */
export async function recordHeartbeat(db: Db, report: AgentReport, now: string): Promise<AgentRow> {
  const fresh = { binary: report.binary, topic: report.topic, availability_zone: report.availabilityZone, configurations: JSON.stringify(report.configurations), heartbeat_timestamp: now };
  const existing = await agentOn(db, report.agentType, report.host);
  if (existing) {
    await db.updateTable('agents').set({ ...fresh, ...(report.start ? { started_at: now } : {}) }).where('id', '=', existing.id).execute();
    return (await getAgent(db, existing.id))!;
  }
  const row: AgentRow = {
    id: randomUUID(), agent_type: report.agentType, host: report.host, admin_state_up: true, description: '', created_at: now, started_at: now, ...fresh,
  };
  try {
    await db.insertInto('agents').values(row).execute();
  } catch (err) {
    // Two reports of a new agent raced: the unique key kept one row, refresh it instead.
    const again = await agentOn(db, report.agentType, report.host);
    if (!again) throw err;
    return recordHeartbeat(db, report, now);
  }
  return row;
}

export const getAgent = (db: Db, id: string): Promise<AgentRow | undefined> =>
  db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();

export const agentOn = (db: Db, agentType: string, host: string): Promise<AgentRow | undefined> =>
  db.selectFrom('agents').selectAll().where('agent_type', '=', agentType).where('host', '=', host).executeTakeFirst();

export const listAgents = (db: Db): Promise<AgentRow[]> => db.selectFrom('agents').selectAll().orderBy('host').orderBy('agent_type').execute();

/** The L3 agent hosting the router, if any. */
export async function routerAgent(db: Db, routerId: string): Promise<AgentRow | undefined> {
  return db.selectFrom('router_l3_agent_bindings').innerJoin('agents', 'agents.id', 'router_l3_agent_bindings.l3_agent_id')
    .selectAll('agents').where('router_l3_agent_bindings.router_id', '=', routerId).executeTakeFirst();
}

export async function routersOfAgent(db: Db, agentId: string): Promise<string[]> {
  return (await db.selectFrom('router_l3_agent_bindings').select('router_id').where('l3_agent_id', '=', agentId).orderBy('router_id').execute()).map((r) => r.router_id);
}

/** How many routers each L3 agent hosts (agents without any are absent). */
export async function routerCounts(db: Db): Promise<Map<string, number>> {
  const rows = await db.selectFrom('router_l3_agent_bindings').select(['l3_agent_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('l3_agent_id').execute();
  return new Map(rows.map((r) => [r.l3_agent_id, Number(r.n)]));
}

/** Binds an unhosted router to the agent; false when some agent already hosts it (the primary key decides races). */
export async function bindRouter(db: Db, routerId: string, agentId: string): Promise<boolean> {
  try {
    await db.insertInto('router_l3_agent_bindings').values({ router_id: routerId, l3_agent_id: agentId }).execute();
    return true;
  } catch (err) {
    if (await routerAgent(db, routerId)) return false;
    throw err;
  }
}

/** Unbinds the router from that agent; false when it was not hosted there. */
export async function unbindRouter(db: Db, routerId: string, agentId: string): Promise<boolean> {
  const r = await db.deleteFrom('router_l3_agent_bindings').where('router_id', '=', routerId).where('l3_agent_id', '=', agentId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
