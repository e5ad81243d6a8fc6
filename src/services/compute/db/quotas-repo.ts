// Per-project quota limits that differ from the defaults (Nova's quotas table).
import { QUOTA_DEFAULTS } from '../domain/quotas.ts';
import type { QuotaResource } from '../domain/quotas.ts';
import type { ComputeDb } from './tables.ts';

export async function projectLimits(db: ComputeDb, projectId: string): Promise<Record<QuotaResource, number>> {
  const rows = await db.selectFrom('quotas').selectAll().where('project_id', '=', projectId).execute();
  const out: Record<string, number> = { ...QUOTA_DEFAULTS };
  for (const r of rows) if (r.resource in out) out[r.resource] = r.hard_limit;
  return out as Record<QuotaResource, number>;
}

export async function setProjectLimits(db: ComputeDb, projectId: string, limits: Partial<Record<QuotaResource, number>>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const [resource, hard_limit] of Object.entries(limits)) {
      await tx.deleteFrom('quotas').where('project_id', '=', projectId).where('resource', '=', resource).execute();
      await tx.insertInto('quotas').values({ project_id: projectId, resource, hard_limit }).execute();
    }
  });
}

export async function deleteProjectLimits(db: ComputeDb, projectId: string): Promise<void> {
  await db.deleteFrom('quotas').where('project_id', '=', projectId).execute();
}

export async function keyPairCount(db: ComputeDb, userId: string): Promise<number> {
  const row = await db.selectFrom('key_pairs').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirst();
  return Number(row?.n ?? 0);
}
