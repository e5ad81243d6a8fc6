// os-server-groups: named groups with an (anti-)affinity policy that the scheduler honours for their members
// (policies as a one-item list, as microversions before 2.64 have them).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { checkQuota } from '../domain/quotas.ts';
import { serverGroupNotFound } from '../domain/errors.ts';
import { countGroups, deleteServerGroup, getServerGroup, insertServerGroup, listServerGroups, liveMembers } from '../db/server-groups-repo.ts';
import { projectLimits } from '../db/quotas-repo.ts';
import type { ServerGroupRow } from '../db/tables.ts';
import { callerOf } from './deps.ts';
import type { Caller, ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';

const POLICIES = ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'];

const createBody = {
  type: 'object', required: ['server_group'], additionalProperties: false,
  properties: {
    server_group: {
      type: 'object', required: ['name', 'policies'], additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S(.*\\S)?$' },
        policies: { type: 'array', minItems: 1, maxItems: 1, items: { type: 'string', enum: POLICIES } },
      },
    },
  },
} as const;

async function view(deps: ComputeApiDeps, req: FastifyRequest, g: ServerGroupRow): Promise<Record<string, unknown>> {
  return {
    id: g.uuid, name: g.name, policies: [g.policy], members: (await liveMembers(deps.db, g.uuid)).map((m) => m.uuid), metadata: {},
    ...(atLeast(req, 13) ? { project_id: g.project_id, user_id: g.user_id } : {}),
  };
}

/** A group the caller may see: its own project's, or any for admins; 404 otherwise. */
export async function loadGroup(deps: ComputeApiDeps, caller: Caller, id: string): Promise<ServerGroupRow> {
  const g = await getServerGroup(deps.db, id);
  if (!g || (!caller.isAdmin && g.project_id !== caller.projectId)) throw serverGroupNotFound(id);
  return g;
}

export function registerServerGroups(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post('/v2.1/os-server-groups', { schema: { body: createBody } }, async (req) => {
    const caller = callerOf(deps, req);
    if (!caller.projectId) throw new BadRequest('A project-scoped token is required to create a server group.');
    deps.policy.enforce('os_compute_api:os-server-groups:create', caller.credentials, { project_id: caller.projectId, user_id: caller.credentials.userId });
    const b = (req.body as { server_group: { name: string; policies: string[] } }).server_group;
    checkQuota({ server_groups: (await projectLimits(deps.db, caller.projectId)).server_groups }, { server_groups: await countGroups(deps.db, caller.projectId) }, { server_groups: 1 });
    const row: ServerGroupRow = {
      uuid: randomUUID(), name: b.name, project_id: caller.projectId, user_id: caller.credentials.userId, policy: b.policies[0], rules: '{}',
      created_at: new Date().toISOString(),
    };
    await insertServerGroup(deps.db, row);
    return { server_group: await view(deps, req, row) };
  });

  app.get('/v2.1/os-server-groups', async (req) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-server-groups:index', caller.credentials, { project_id: caller.projectId });
    const q = req.query as { all_projects?: string; limit?: string; offset?: string };
    const all = q.all_projects !== undefined && caller.isAdmin;
    const limit = Math.min(Number(q.limit ?? deps.maxLimit), deps.maxLimit);
    const offset = Number(q.offset ?? 0);
    if (!Number.isInteger(limit) || limit < 0 || !Number.isInteger(offset) || offset < 0) throw new BadRequest('Invalid limit or offset.');
    const groups = await listServerGroups(deps.db, { projectId: all ? undefined : caller.projectId ?? '-', limit, offset });
    return { server_groups: await Promise.all(groups.map((g) => view(deps, req, g))) };
  });

  app.get('/v2.1/os-server-groups/:id', async (req) => {
    const caller = callerOf(deps, req);
    const g = await loadGroup(deps, caller, (req.params as { id: string }).id);
    deps.policy.enforce('os_compute_api:os-server-groups:show', caller.credentials, { project_id: g.project_id });
    return { server_group: await view(deps, req, g) };
  });

  app.delete('/v2.1/os-server-groups/:id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const g = await loadGroup(deps, caller, (req.params as { id: string }).id);
    deps.policy.enforce('os_compute_api:os-server-groups:delete', caller.credentials, { project_id: g.project_id });
    await deleteServerGroup(deps.db, g.uuid);
    return reply.code(204).send();
  });
}
