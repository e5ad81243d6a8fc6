// os-server-groups: named groups with an (anti-)affinity policy that the scheduler honours for their members
// (policies as a one-item list before 2.64; from 2.64 policy and rules, max_server_per_host honoured by the scheduler).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Ajv } from 'ajv';
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
const ajv = new Ajv({ allErrors: false, strict: false });

const groupName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S(.*\\S)?$' } as const;

/** Before 2.64: policies, a one-item list. */
const createBody = {
  type: 'object', required: ['server_group'], additionalProperties: false,
  properties: {
    server_group: {
      type: 'object', required: ['name', 'policies'], additionalProperties: false,
      properties: { name: groupName, policies: { type: 'array', minItems: 1, maxItems: 1, items: { type: 'string', enum: POLICIES } } },
    },
  },
} as const;

/** From 2.64: policy, and rules (max_server_per_host, anti-affinity only). */
const createBodyV264 = {
  type: 'object', required: ['server_group'], additionalProperties: false,
  properties: {
    server_group: {
      type: 'object', required: ['name', 'policy'], additionalProperties: false,
      properties: {
        name: groupName, policy: { type: 'string', enum: POLICIES },
        rules: { type: 'object', additionalProperties: false, properties: { max_server_per_host: { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 1 } } },
      },
    },
  },
} as const;

const validateLegacy = ajv.compile(createBody);
const validateV264 = ajv.compile(createBodyV264);

/** The body per microversion, Nova's way: its schema error as a 400. */
function parseCreate(req: FastifyRequest): { name: string; policy: string; rules: Record<string, number> } {
  const v264 = atLeast(req, 64);
  const validate = v264 ? validateV264 : validateLegacy;
  if (!validate(req.body)) {
    const e = validate.errors?.[0];
    const where = e?.instancePath.split('/').filter(Boolean).at(-1) ?? 'server_group';
    throw new BadRequest(`Invalid input for field/attribute ${where}. ${e?.message ?? 'invalid'}${e?.params && 'additionalProperty' in e.params ? ` ('${String(e.params.additionalProperty)}' was unexpected)` : ''}`);
  }
  const b = (req.body as { server_group: { name: string; policies?: string[]; policy?: string; rules?: { max_server_per_host?: number | string } } }).server_group;
  const policy = v264 ? b.policy! : b.policies![0];
  const rules: Record<string, number> = {};
  if (b.rules?.max_server_per_host !== undefined) {
    if (policy !== 'anti-affinity') throw new BadRequest("Only anti-affinity policy supports rules; 'max_server_per_host' needs the anti-affinity policy.");
    rules.max_server_per_host = Number(b.rules.max_server_per_host);
    if (!Number.isInteger(rules.max_server_per_host) || rules.max_server_per_host < 1) throw new BadRequest('Invalid input for field/attribute max_server_per_host. Value must be an integer of at least 1.');
  }
  return { name: b.name, policy, rules };
}

async function view(deps: ComputeApiDeps, req: FastifyRequest, g: ServerGroupRow): Promise<Record<string, unknown>> {
  const members = (await liveMembers(deps.db, g.uuid)).map((m) => m.uuid);
  const owner = atLeast(req, 13) ? { project_id: g.project_id, user_id: g.user_id } : {};
  // 2.64: policy and rules replace policies and the (always empty) metadata.
  if (atLeast(req, 64)) return { id: g.uuid, name: g.name, policy: g.policy, rules: JSON.parse(g.rules || '{}'), members, ...owner };
  return { id: g.uuid, name: g.name, policies: [g.policy], members, metadata: {}, ...owner };
}

/** A group the caller may see: its own project's, or any for admins; 404 otherwise. */
export async function loadGroup(deps: ComputeApiDeps, caller: Caller, id: string): Promise<ServerGroupRow> {
  const g = await getServerGroup(deps.db, id);
  if (!g || (!caller.isAdmin && g.project_id !== caller.projectId)) throw serverGroupNotFound(id);
  return g;
}

export function registerServerGroups(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post('/v2.1/os-server-groups', async (req) => {
    const caller = callerOf(deps, req);
    const b = parseCreate(req);
    if (!caller.projectId) throw new BadRequest('A project-scoped token is required to create a server group.');
    deps.policy.enforce('os_compute_api:os-server-groups:create', caller.credentials, { project_id: caller.projectId, user_id: caller.credentials.userId });
    checkQuota({ server_groups: (await projectLimits(deps.db, caller.projectId)).server_groups }, { server_groups: await countGroups(deps.db, caller.projectId) }, { server_groups: 1 });
    const row: ServerGroupRow = {
      uuid: randomUUID(), name: b.name, project_id: caller.projectId, user_id: caller.credentials.userId, policy: b.policy, rules: JSON.stringify(b.rules),
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
