// Agents (extension `agent`: list, show, enable/disable, delete) and the L3 agent scheduler's admin API
// (extension `l3_agent_scheduler`): the routers an L3 agent hosts, adding a router to one and removing it, and the
// agents hosting a router. Moving a router is a remove and an add: each host's agent is told (l3-scheduler.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getAgent, listAgents, routerAgent, routersOfAgent } from '../db/agents-repo.ts';
import { getRouter } from '../db/routers-repo.ts';
import type { AgentRow } from '../db/tables.ts';
import { NeutronError, notFound } from '../domain/errors.ts';
import { callerOf, enforce, idParam } from './deps.ts';
import type { NetworkApiDeps } from './deps.ts';
import { listResponse, showFields } from './list-query.ts';
import { bodyOf } from './request-helpers.ts';
import { bool, description, envelope, uuidish } from './schemas/common.ts';
import { L3_AGENT_TYPE, addRouterToAgent, isAlive, removeRouterFromAgent } from './l3-scheduler.ts';
import { renderRouters } from './routers.ts';

const updateSchema = envelope('agent', { admin_state_up: bool, description });
const addRouterSchema = { type: 'object', additionalProperties: false, required: ['router_id'], properties: { router_id: uuidish } } as const;

/** Neutron shows agents' times without the T and zone ("2026-11-25 11:40:02"). */
const agentTime = (iso: string) => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');

function agentView(deps: NetworkApiDeps, row: AgentRow): Record<string, unknown> {
  return {
    id: row.id, agent_type: row.agent_type, binary: row.binary, topic: row.topic, host: row.host,
    admin_state_up: Boolean(row.admin_state_up), alive: isAlive(deps, row), availability_zone: row.availability_zone,
    description: row.description || null, configurations: JSON.parse(row.configurations) as unknown, resources_synced: null,
    created_at: agentTime(row.created_at), started_at: agentTime(row.started_at), heartbeat_timestamp: agentTime(row.heartbeat_timestamp),
  };
}

async function loadAgent(deps: NetworkApiDeps, req: FastifyRequest, name = 'id'): Promise<AgentRow> {
  const agent = await getAgent(deps.db, idParam(req, name));
  if (!agent) throw notFound('Agent', idParam(req, name));
  return agent;
}

/** Routers are scheduled only to enabled L3 agents (Neutron's InvalidL3Agent, a 404). */
function l3AgentOrFail(agent: AgentRow): AgentRow {
  if (agent.agent_type !== L3_AGENT_TYPE || !agent.admin_state_up) {
    throw new NeutronError(404, 'InvalidL3Agent', `Agent ${agent.id} is not a L3 Agent or has been disabled`);
  }
  return agent;
}

export function registerAgents(app: FastifyInstance, deps: NetworkApiDeps): void {
  app.get('/v2.0/agents', async (req) => {
    enforce(deps, callerOf(deps, req), 'get_agent', {});
    const items = (await listAgents(deps.db)).map((a) => agentView(deps, a));
    return listResponse(req, items, { collection: 'agents', path: '/v2.0/agents', maxLimit: deps.options.pagination_max_limit });
  });

  app.get('/v2.0/agents/:id', async (req) => {
    enforce(deps, callerOf(deps, req), 'get_agent', {});
    return { agent: showFields(req, agentView(deps, await loadAgent(deps, req))) };
  });

  app.put('/v2.0/agents/:id', { schema: { body: updateSchema } }, async (req) => {
    enforce(deps, callerOf(deps, req), 'update_agent', {});
    const agent = await loadAgent(deps, req);
    const b = bodyOf<{ admin_state_up?: boolean; description?: string }>(req, 'agent');
    const changes = Object.fromEntries(Object.entries({ admin_state_up: b.admin_state_up, description: b.description }).filter(([, v]) => v !== undefined));
    if (Object.keys(changes).length) await deps.db.updateTable('agents').set(changes).where('id', '=', agent.id).execute();
    return { agent: agentView(deps, (await getAgent(deps.db, agent.id))!) };
  });

  app.delete('/v2.0/agents/:id', async (req, reply) => {
    enforce(deps, callerOf(deps, req), 'delete_agent', {});
    const agent = await loadAgent(deps, req);
    // Its routers lose their host (as in Neutron); they are scheduled again when they next change or an agent resyncs.
    for (const routerId of await routersOfAgent(deps.db, agent.id)) await removeRouterFromAgent(deps, req.ctx, agent, routerId);
    await deps.db.deleteFrom('agents').where('id', '=', agent.id).execute();
    reply.code(204);
  });

  app.get('/v2.0/agents/:id/l3-routers', async (req) => {
    enforce(deps, callerOf(deps, req), 'get_l3-routers', {});
    const agent = await loadAgent(deps, req);
    const rows = [];
    for (const id of await routersOfAgent(deps.db, agent.id)) {
      const r = await getRouter(deps.db, id);
      if (r) rows.push(r);
    }
    return listResponse(req, await renderRouters(deps, rows), { collection: 'routers', path: `/v2.0/agents/${agent.id}/l3-routers`, maxLimit: deps.options.pagination_max_limit });
  });

  app.post('/v2.0/agents/:id/l3-routers', { schema: { body: addRouterSchema } }, async (req, reply) => {
    enforce(deps, callerOf(deps, req), 'create_l3-router', {});
    const agent = l3AgentOrFail(await loadAgent(deps, req));
    const routerId = (req.body as { router_id: string }).router_id;
    if (!await getRouter(deps.db, routerId)) throw notFound('Router', routerId);
    const hosting = await routerAgent(deps.db, routerId);
    // Already there: nothing to do (Neutron answers success); elsewhere: a legacy router has one agent.
    if (hosting?.id !== agent.id && (hosting || !await addRouterToAgent(deps, req.ctx, agent, routerId))) {
      const holder = hosting ?? await routerAgent(deps.db, routerId);
      throw new NeutronError(409, 'RouterHostedByL3Agent', `The router ${routerId} has been already hosted by the L3 Agent ${holder?.id}.`);
    }
    reply.code(201).type('application/json');
    return 'null';
  });

  app.delete('/v2.0/agents/:id/l3-routers/:routerId', async (req, reply) => {
    enforce(deps, callerOf(deps, req), 'delete_l3-router', {});
    const agent = await loadAgent(deps, req);
    const routerId = idParam(req, 'routerId');
    if (!await getRouter(deps.db, routerId)) throw notFound('Router', routerId);
    if (!await removeRouterFromAgent(deps, req.ctx, agent, routerId)) {
      throw new NeutronError(409, 'RouterNotHostedByL3Agent', `The router ${routerId} is not hosted by L3 agent ${agent.id}.`);
    }
    reply.code(204);
  });

  app.get('/v2.0/routers/:id/l3-agents', async (req) => {
    enforce(deps, callerOf(deps, req), 'get_l3-agents', {});
    const routerId = idParam(req);
    if (!await getRouter(deps.db, routerId)) throw notFound('Router', routerId);
    const hosting = await routerAgent(deps.db, routerId);
    const items = hosting ? [{ ...agentView(deps, hosting), ha_state: null }] : [];
    return listResponse(req, items, { collection: 'agents', path: `/v2.0/routers/${routerId}/l3-agents`, maxLimit: deps.options.pagination_max_limit });
  });
}
