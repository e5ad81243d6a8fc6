// Quota sets (show with usage, defaults, update, reset) and absolute limits, as Cinder's os-quota-sets and limits APIs.
// Usage is counted from the volumes and snapshots themselves, so it never drifts from reality.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { QUOTA_RESOURCES } from '../domain/quotas.ts';
import type { QuotaLimits, QuotaResource, Usage } from '../domain/quotas.ts';
import { deleteLimits, getLimits, getUsage, setLimits } from '../db/quotas-repo.ts';
import { authorize, callerOf, pathProject } from './deps.ts';
import type { BlockStorageApiDeps } from './deps.ts';
import { toBool } from './schemas/common.ts';

const targetParam = (req: FastifyRequest): string => (req.params as { target: string }).target;

const usageOf = (u: Usage, r: QuotaResource): number => (r === 'groups' || r === 'per_volume_gigabytes' ? 0 : u[r]);

export const updateQuotaBody = {
  type: 'object', required: ['quota_set'], additionalProperties: false,
  properties: {
    quota_set: {
      type: 'object', additionalProperties: false,
      properties: Object.fromEntries([...QUOTA_RESOURCES.map((r) => [r, { type: 'integer', minimum: -1, maximum: 2147483647 }]), ['tenant_id', { type: 'string' }], ['id', { type: 'string' }]]),
    },
  },
} as const;

export function registerQuotas(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  const base = '/os-quota-sets/:target';
  const defaults = deps.settings.quotaDefaults;

  app.get(`${base}/defaults`, async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'volume_extension:quotas:show', targetParam(req));
    return { quota_set: { id: targetParam(req), ...defaults } };
  });

  app.get(base, async (req) => {
    const caller = callerOf(deps, req);
    const target = targetParam(req);
    authorize(deps, caller, 'volume_extension:quotas:show', target);
    const limits = await getLimits(deps.db, target, defaults);
    const usage = (req.query as { usage?: string }).usage;
    if (usage === undefined || !toBool(usage, 'usage')) return { quota_set: { id: target, ...limits } };
    const u = await getUsage(deps.db, target);
    return {
      quota_set: {
        id: target,
        ...Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, { limit: limits[r], in_use: usageOf(u, r), reserved: 0, allocated: 0 }])),
      },
    };
  });

  app.put(base, { schema: { body: updateQuotaBody } }, async (req) => {
    const caller = callerOf(deps, req);
    const target = targetParam(req);
    authorize(deps, caller, 'volume_extension:quotas:update', target);
    const body = (req.body as { quota_set: Partial<QuotaLimits> & { tenant_id?: string; id?: string } }).quota_set;
    const changes: Partial<QuotaLimits> = {};
    for (const r of QUOTA_RESOURCES) if (body[r] !== undefined) changes[r] = body[r];
    const u = await getUsage(deps.db, target);
    for (const [r, limit] of Object.entries(changes) as [QuotaResource, number][]) {
      if (limit >= 0 && limit < usageOf(u, r)) throw new BadRequest(`Invalid input received: Quota limit ${limit} for ${r} must be equal or greater than existing resources (${usageOf(u, r)}).`);
    }
    await setLimits(deps.db, target, changes);
    return { quota_set: await getLimits(deps.db, target, defaults) };
  });

  app.delete(base, async (req, reply) => {
    const caller = callerOf(deps, req);
    const target = targetParam(req);
    authorize(deps, caller, 'volume_extension:quotas:delete', target);
    await deleteLimits(deps.db, target);
    return reply.code(200).send();
  });

  app.get('/limits', async (req) => {
    const caller = callerOf(deps, req);
    const project = caller.projectId ?? pathProject(req);
    authorize(deps, caller, 'limits_extension:used_limits', project);
    const limits = await getLimits(deps.db, project, defaults);
    const u = await getUsage(deps.db, project);
    return {
      limits: {
        rate: [],
        absolute: {
          maxTotalVolumes: limits.volumes, maxTotalSnapshots: limits.snapshots, maxTotalVolumeGigabytes: limits.gigabytes,
          maxTotalBackups: limits.backups, maxTotalBackupGigabytes: limits.backup_gigabytes,
          totalVolumesUsed: u.volumes, totalSnapshotsUsed: u.snapshots, totalGigabytesUsed: u.gigabytes, totalBackupsUsed: u.backups, totalBackupGigabytesUsed: u.backup_gigabytes,
        },
      },
    };
  });
}
