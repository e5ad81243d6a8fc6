// Provider aggregates: a provider's set of aggregate uuids, replaced as a whole (with a generation check from 1.19).
import type { PlacementDb, PlacementStore } from './tables.ts';
import { bumpGeneration, inTransaction, lockProviders, nowIso } from './transactions.ts';
import { forgetProviderGraph } from './graph-changes.ts';
import { NotFound } from '#lib/errors.ts';
import { concurrentUpdate, GENERATION_CHANGED } from '../domain/errors.ts';

/** Aggregates per provider, for the given providers (all when omitted). */
export async function aggregatesByProvider(db: PlacementDb, providers?: string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  const batches = providers === undefined ? [undefined] : Array.from({ length: Math.ceil(providers.length / 500) }, (_, i) => providers.slice(i * 500, i * 500 + 500));
  for (const batch of batches) {
    let q = db.selectFrom('provider_aggregates').select(['provider_uuid', 'aggregate_uuid']);
    if (batch) q = q.where('provider_uuid', 'in', batch);
    for (const r of await q.execute()) out.set(r.provider_uuid, (out.get(r.provider_uuid) ?? new Set()).add(r.aggregate_uuid));
  }
  return out;
}

export async function providerAggregates(db: PlacementDb, uuid: string): Promise<string[]> {
  const rows = await db.selectFrom('provider_aggregates').select('aggregate_uuid').where('provider_uuid', '=', uuid).orderBy('aggregate_uuid').execute();
  return rows.map((r) => r.aggregate_uuid);
}

/**
 * Replaces a provider's aggregates. With `expectedGeneration` (1.19+) a stale generation is 409 concurrent_update and
 * the generation is bumped; before 1.19 the write is blind and leaves the generation alone, as Placement does.
 */
export async function setProviderAggregates(store: PlacementStore, uuid: string, aggregates: string[], expectedGeneration?: number): Promise<number> {
  const generation = await inTransaction(store, async (trx) => {
    const rp = (await lockProviders(store, trx, [uuid])).get(uuid);
    if (!rp) throw new NotFound(`No resource provider with uuid ${uuid} found`);
    if (expectedGeneration !== undefined && rp.generation !== expectedGeneration) throw concurrentUpdate(GENERATION_CHANGED);
    await trx.deleteFrom('provider_aggregates').where('provider_uuid', '=', uuid).execute();
    const unique = [...new Set(aggregates)];
    if (unique.length > 0) await trx.insertInto('provider_aggregates').values(unique.map((a) => ({ provider_uuid: uuid, aggregate_uuid: a }))).execute();
    if (expectedGeneration !== undefined) return bumpGeneration(trx, uuid, rp.generation);
    // A blind write keeps the generation; updated_at tells other processes' candidate caches (provider-graph-cache.ts).
    await trx.updateTable('resource_providers').set({ updated_at: nowIso() }).where('uuid', '=', uuid).execute();
    return rp.generation;
  });
  if (expectedGeneration === undefined) forgetProviderGraph(store.db);
  return generation;
}
