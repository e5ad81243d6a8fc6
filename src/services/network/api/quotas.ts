// Quotas: /v2.0/quotas (projects with non-default limits), /quotas/{project} (limits), /details (limit, used,
// reserved), /default, PUT to set and DELETE to reset. Enforcement is in the create paths (checkQuota).
import type { FastifyInstance } from 'fastify';
import { limitsOf, projectsWithLimits, resetLimits, setLimits, usageOf } from '../db/quotas-repo.ts';
import { QUOTA_RESOURCES } from '../domain/quotas.ts';
import type { QuotaDefaults } from '../domain/quotas.ts';
import { callerOf, enforce, idParam } from './deps.ts';
import type { NetworkApiDeps } from './deps.ts';

export function quotaDefaults(deps: NetworkApiDeps): QuotaDefaults {
  const o = deps.options;
  return {
    network: o.quota_network, subnet: o.quota_subnet, port: o.quota_port, router: o.quota_router,
    floatingip: o.quota_floatingip, security_group: o.quota_security_group, security_group_rule: o.quota_security_group_rule,
  };
}

const limitSchema = { type: 'integer', minimum: -1, maximum: 2147483647 } as const;
const updateSchema = {
  type: 'object', additionalProperties: false, required: ['quota'],
  properties: {
    quota: {
      type: 'object', additionalProperties: false, minProperties: 1,
      properties: Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, limitSchema])),
    },
  },
} as const;

export function registerQuotas(app: FastifyInstance, deps: NetworkApiDeps): void {
  app.get('/v2.0/quotas', async (req) => {
    const caller = callerOf(deps, req);
    enforce(deps, caller, 'update_quota', {});
    const projects = await projectsWithLimits(deps.db);
    return { quotas: await Promise.all(projects.map(async (p) => ({ ...await limitsOf(deps.db, p, quotaDefaults(deps)), project_id: p, tenant_id: p }))) };
  });

  app.get('/v2.0/quotas/:project', async (req) => {
    const project = idParam(req, 'project');
    enforce(deps, callerOf(deps, req), 'get_quota', { project_id: project });
    return { quota: await limitsOf(deps.db, project, quotaDefaults(deps)) };
  });

  app.get('/v2.0/quotas/:project/default', async (req) => {
    const project = idParam(req, 'project');
    enforce(deps, callerOf(deps, req), 'get_quota', { project_id: project });
    return { quota: quotaDefaults(deps) };
  });

  app.get('/v2.0/quotas/:project/details', async (req) => {
    const project = idParam(req, 'project');
    enforce(deps, callerOf(deps, req), 'get_quota', { project_id: project });
    const limits = await limitsOf(deps.db, project, quotaDefaults(deps));
    const quota: Record<string, { limit: number; used: number; reserved: number }> = {};
    for (const r of QUOTA_RESOURCES) quota[r] = { limit: limits[r], used: await usageOf(deps.db, project, r), reserved: 0 };
    return { quota };
  });

  app.put('/v2.0/quotas/:project', { schema: { body: updateSchema } }, async (req) => {
    const project = idParam(req, 'project');
    enforce(deps, callerOf(deps, req), 'update_quota', { project_id: project });
    await setLimits(deps.db, project, (req.body as { quota: Partial<QuotaDefaults> }).quota);
    return { quota: await limitsOf(deps.db, project, quotaDefaults(deps)) };
  });

  app.delete('/v2.0/quotas/:project', async (req, reply) => {
    const project = idParam(req, 'project');
    enforce(deps, callerOf(deps, req), 'delete_quota', { project_id: project });
    await resetLimits(deps.db, project);
    reply.code(204);
  });
}
