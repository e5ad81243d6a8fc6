// os-quota-sets (show, detail, defaults, update, revert) and limits: Nova's quotas, counted from the database.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { QUOTA_DEFAULTS, QUOTA_RESOURCES } from '../domain/quotas.ts';
import type { QuotaResource } from '../domain/quotas.ts';
import { deleteProjectLimits, keyPairCount, projectLimits, setProjectLimits } from '../db/quotas-repo.ts';
import { projectUsage } from '../db/instances-repo.ts';
import { countGroups } from '../db/server-groups-repo.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';

const projectParam = (req: FastifyRequest): string => (req.params as { project_id: string }).project_id;

// Fixed ip, floating ip, security group quotas belong to Networking since 2.36; this build serves 2.36+ semantics only.
const shown = (limits: Record<string, number>) => Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, limits[r]]));

async function usageOf(deps: ComputeApiDeps, projectId: string, userId: string): Promise<Record<string, number>> {
  const u = await projectUsage(deps.db, projectId);
  return {
    instances: u.instances, cores: u.cores, ram: u.ram, key_pairs: await keyPairCount(deps.db, userId),
    server_groups: await countGroups(deps.db, projectId),
  };
}

const updateBody = {
  type: 'object', required: ['quota_set'], additionalProperties: false,
  properties: {
    quota_set: {
      type: 'object', additionalProperties: false,
      properties: { force: { type: ['boolean', 'string'] }, ...Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, { type: ['integer', 'string'], pattern: '^-?[0-9]+$', minimum: -1 }])) },
    },
  },
} as const;

export function registerQuotas(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/os-quota-sets/:project_id/defaults', async (req) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-quota-sets:defaults', caller.credentials, { project_id: projectParam(req) });
    return { quota_set: { id: projectParam(req), ...shown(QUOTA_DEFAULTS) } };
  });

  app.get('/v2.1/os-quota-sets/:project_id', async (req) => {
    const caller = callerOf(deps, req);
    const projectId = projectParam(req);
    deps.policy.enforce('os_compute_api:os-quota-sets:show', caller.credentials, { project_id: projectId });
    return { quota_set: { id: projectId, ...shown(await projectLimits(deps.db, projectId)) } };
  });

  app.get('/v2.1/os-quota-sets/:project_id/detail', async (req) => {
    const caller = callerOf(deps, req);
    const projectId = projectParam(req);
    deps.policy.enforce('os_compute_api:os-quota-sets:detail', caller.credentials, { project_id: projectId });
    const limits = await projectLimits(deps.db, projectId);
    const usage = await usageOf(deps, projectId, caller.credentials.userId);
    return {
      quota_set: {
        id: projectId,
        ...Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, { limit: limits[r], in_use: usage[r] ?? 0, reserved: 0 }])),
      },
    };
  });

  app.put('/v2.1/os-quota-sets/:project_id', { schema: { body: updateBody } }, async (req) => {
    const caller = callerOf(deps, req);
    const projectId = projectParam(req);
    deps.policy.enforce('os_compute_api:os-quota-sets:update', caller.credentials, { project_id: projectId });
    const { force, ...values } = (req.body as { quota_set: Record<string, unknown> }).quota_set;
    const limits: Partial<Record<QuotaResource, number>> = {};
    for (const [k, v] of Object.entries(values)) limits[k as QuotaResource] = Number(v);
    const forced = force === true || force === 'true' || force === 'True';
    if (!forced) {
      const usage = await usageOf(deps, projectId, caller.credentials.userId);
      for (const [k, v] of Object.entries(limits)) {
        if (v >= 0 && (usage[k] ?? 0) > v) throw new BadRequest(`Quota limit ${v} for ${k} must be greater than or equal to already used and reserved ${usage[k]}.`);
      }
    }
    await setProjectLimits(deps.db, projectId, limits);
    return { quota_set: shown(await projectLimits(deps.db, projectId)) };
  });

  app.delete('/v2.1/os-quota-sets/:project_id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const projectId = projectParam(req);
    deps.policy.enforce('os_compute_api:os-quota-sets:delete', caller.credentials, { project_id: projectId });
    await deleteProjectLimits(deps.db, projectId);
    return reply.code(202).send();
  });

  app.get('/v2.1/limits', async (req) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:limits', caller.credentials, { project_id: caller.projectId });
    const projectId = (req.query as { tenant_id?: string }).tenant_id && caller.isAdmin ? (req.query as { tenant_id: string }).tenant_id : caller.projectId;
    if (!projectId) return { limits: { rate: [], absolute: {} } };
    const l = await projectLimits(deps.db, projectId);
    const u = await usageOf(deps, projectId, caller.credentials.userId);
    return {
      limits: {
        rate: [],
        absolute: {
          maxTotalInstances: l.instances, maxTotalCores: l.cores, maxTotalRAMSize: l.ram, maxServerMeta: l.metadata_items,
          maxTotalKeypairs: l.key_pairs, maxServerGroups: l.server_groups, maxServerGroupMembers: l.server_group_members,
          maxPersonality: l.injected_files, maxPersonalitySize: l.injected_file_content_bytes,
          totalInstancesUsed: u.instances, totalCoresUsed: u.cores, totalRAMUsed: u.ram, totalServerGroupsUsed: u.server_groups,
        },
      },
    };
  });
}
