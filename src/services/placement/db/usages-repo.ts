// Usage: the sum of allocations per provider and class, next to the inventory it draws from; and per project/user.
import type { ResourceState } from '../domain/allocation-candidates.ts';
import type { PlacementDb } from './tables.ts';

const CHUNK = 500;

function chunks<T>(items: T[] | undefined): (T[] | undefined)[] {
  if (items === undefined) return [undefined];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Inventory and current usage of the given providers (all when omitted) for the given classes (all when omitted),
 * by provider uuid then resource class. Providers without an inventory of a class have no entry for it. Usage is the
 * inventory row's `used`, which allocation writes keep equal to the sum of their allocations.
 */
export async function resourceStates(db: PlacementDb, only: { providers?: string[]; classes?: string[] }): Promise<Map<string, Map<string, ResourceState>>> {
  const out = new Map<string, Map<string, ResourceState>>();
  if (only.providers?.length === 0 || only.classes?.length === 0) return out;
  for (const providers of chunks(only.providers)) {
    let q = db.selectFrom('inventories')
      .select(['provider_uuid', 'resource_class', 'total', 'reserved', 'min_unit', 'max_unit', 'step_size', 'allocation_ratio', 'used']);
    if (providers) q = q.where('provider_uuid', 'in', providers);
    if (only.classes) q = q.where('resource_class', 'in', only.classes);
    for (const i of await q.execute()) {
      let byClass = out.get(i.provider_uuid);
      if (!byClass) out.set(i.provider_uuid, (byClass = new Map()));
      byClass.set(i.resource_class, {
        total: Number(i.total), reserved: Number(i.reserved), minUnit: Number(i.min_unit), maxUnit: Number(i.max_unit),
        stepSize: Number(i.step_size), allocationRatio: Number(i.allocation_ratio), used: Number(i.used),
      });
    }
  }
  return out;
}

/** GET /resource_providers/{uuid}/usages: every class the provider has inventory of, with its usage (0 if none). */
export async function providerUsages(db: PlacementDb, uuid: string): Promise<Record<string, number>> {
  const states = (await resourceStates(db, { providers: [uuid] })).get(uuid) ?? new Map();
  return Object.fromEntries([...states].map(([rc, s]) => [rc, s.used]));
}

export interface UsageFilter {
  projectId: string;
  userId?: string;
}

/** GET /usages before 1.38: the project's (and user's) usage per class. */
export async function projectUsages(db: PlacementDb, f: UsageFilter): Promise<Record<string, number>> {
  let q = db.selectFrom('allocations').innerJoin('consumers', 'consumers.uuid', 'allocations.consumer_uuid')
    .select(['allocations.resource_class as rc', (eb) => eb.fn.sum<number>('allocations.used').as('used')])
    .where('consumers.project_id', '=', f.projectId).groupBy('allocations.resource_class');
  if (f.userId !== undefined) q = q.where('consumers.user_id', '=', f.userId);
  return Object.fromEntries((await q.execute()).map((r) => [r.rc, Number(r.used)]));
}

/**
 * GET /usages from 1.38: usage per consumer type, each with consumer_count. `consumerType` 'all' lumps every consumer
 * under "all", 'unknown' keeps only consumers without a type, another name keeps only that type.
 */
export async function projectUsagesByType(db: PlacementDb, f: UsageFilter & { consumerType?: string }): Promise<Record<string, Record<string, number>>> {
  let q = db.selectFrom('allocations').innerJoin('consumers', 'consumers.uuid', 'allocations.consumer_uuid')
    .select(['consumers.consumer_type as type', 'allocations.resource_class as rc', 'allocations.consumer_uuid as consumer', 'allocations.used as used'])
    .where('consumers.project_id', '=', f.projectId);
  if (f.userId !== undefined) q = q.where('consumers.user_id', '=', f.userId);
  if (f.consumerType === 'unknown') q = q.where('consumers.consumer_type', 'is', null);
  else if (f.consumerType !== undefined && f.consumerType !== 'all') q = q.where('consumers.consumer_type', '=', f.consumerType);
  const out: Record<string, Record<string, number>> = {};
  const consumers = new Map<string, Set<string>>();
  for (const r of await q.execute()) {
    const key = f.consumerType === 'all' ? 'all' : r.type ?? 'unknown';
    const usage = (out[key] ??= {});
    usage[r.rc] = (usage[r.rc] ?? 0) + Number(r.used);
    consumers.set(key, (consumers.get(key) ?? new Set()).add(r.consumer));
  }
  for (const [key, set] of consumers) out[key].consumer_count = set.size;
  return out;
}
