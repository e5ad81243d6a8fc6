// Per-project quota limits (rows only where an admin set one; defaults come from config) and usage counts.
import type { Kysely } from 'kysely';
import type { NetworkDb, NetworkTables } from './tables.ts';
import { QUOTA_RESOURCES, atLimit } from '../domain/quotas.ts';
import type { QuotaDefaults, QuotaResource } from '../domain/quotas.ts';
import { overQuota } from '../domain/errors.ts';

type Db = Kysely<NetworkTables>;

const TABLE: Record<QuotaResource, keyof NetworkTables> = {
  network: 'networks', subnet: 'subnets', port: 'ports', router: 'routers', floatingip: 'floating_ips',
  security_group: 'security_groups', security_group_rule: 'security_group_rules',
};

export async function limitsOf(db: Db, project: string, defaults: QuotaDefaults): Promise<QuotaDefaults> {
  const rows = await db.selectFrom('quotas').selectAll().where('project_id', '=', project).execute();
  const limits = { ...defaults };
  for (const row of rows) if (row.resource in limits) limits[row.resource as QuotaResource] = row.hard_limit;
  return limits;
}

export async function usageOf(db: Db, project: string, resource: QuotaResource): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table is chosen by resource; each has project_id
  const any = db as unknown as Kysely<any>;
  const row = await any.selectFrom(TABLE[resource]).select((eb) => eb.fn.countAll().as('n')).where('project_id', '=', project).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Refuses (OverQuota, 409) when the project already uses its limit of `resource`. Call inside the transaction that
 * creates the resource: on SQLite that transaction holds the write lock, so count and insert cannot interleave.
 */
export async function checkQuota(db: Db, project: string, resource: QuotaResource, defaults: QuotaDefaults, adding = 1): Promise<void> {
  const limit = (await limitsOf(db, project, defaults))[resource];
  if (limit < 0) return;
  const used = await usageOf(db, project, resource);
  if (atLimit(limit, used + adding - 1)) throw overQuota([resource]);
}

export async function setLimits(db: NetworkDb, project: string, limits: Partial<QuotaDefaults>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const [resource, hard_limit] of Object.entries(limits)) {
      await tx.deleteFrom('quotas').where('project_id', '=', project).where('resource', '=', resource).execute();
      await tx.insertInto('quotas').values({ project_id: project, resource, hard_limit: hard_limit! }).execute();
    }
  });
}

export async function resetLimits(db: NetworkDb, project: string): Promise<void> {
  await db.deleteFrom('quotas').where('project_id', '=', project).execute();
}

export async function projectsWithLimits(db: NetworkDb): Promise<string[]> {
  const rows = await db.selectFrom('quotas').select('project_id').distinct().orderBy('project_id').execute();
  return rows.map((r) => r.project_id);
}

export { QUOTA_RESOURCES };
