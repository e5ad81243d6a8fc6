// Allocations: the claims consumers hold on providers' inventories. Every write replaces the named consumers'
// allocations in one transaction that locks the providers it draws from, re-checks capacity against what is
// committed, and bumps every touched provider's generation (compare-and-swap), so concurrent claims cannot overcommit.
import { BadRequest, Conflict } from '#lib/errors.ts';
import { isForeignKeyViolation, isUniqueViolation } from '#lib/db/index.ts';
import { concurrentUpdate } from '../domain/errors.ts';
import { capacity, respectsUnits } from '../domain/inventory.ts';
import type { AllocationRow, ConsumerRow, PlacementDb, PlacementStore } from './tables.ts';
import type { Trx } from './transactions.ts';
import { bumpGeneration, GenerationRace, lockProviders, nowIso, withRetries } from './transactions.ts';
import { resourceStates } from './usages-repo.ts';

export interface AllocationItem {
  provider: string;
  resourceClass: string;
  used: number;
}

export interface ConsumerWrite {
  consumerUuid: string;
  projectId: string;
  userId: string;
  /** The consumer type (1.38+); undefined keeps an existing consumer's type (null for a new one). */
  consumerType?: string;
  /** undefined: not checked (before 1.28); null: the consumer must have no allocations yet; n: it must be at n. */
  expectedGeneration?: number | null;
  /** The consumer's complete new allocations; empty removes them all. */
  allocations: AllocationItem[];
}

/**
 * Replaces the allocations of every consumer in `writes`, atomically. Lost races on provider generations (and on
 * consumers whose generation the caller did not name) are replayed up to `retries` times; a stale consumer generation
 * the caller named is 409 concurrent_update at once; over capacity or against unit rules is 409; nothing is written.
 */
export async function writeAllocations(store: PlacementStore, writes: ConsumerWrite[], retries: number): Promise<void> {
  try {
    await withRetries(store, retries, (trx) => applyAllocations(store, trx, writes));
  } catch (err) {
    if (err instanceof GenerationRace) {
      throw concurrentUpdate(`Inventory and/or allocations changed while attempting to allocate: ${err.message}`);
    }
    if (isForeignKeyViolation(err)) throw concurrentUpdate('Inventory and/or allocations changed while attempting to allocate: an inventory or provider went away.');
    throw err;
  }
}

/** The body of writeAllocations, for callers that compose it into a larger transaction (the reshaper). */
export async function applyAllocations(store: PlacementStore, trx: Trx, writes: ConsumerWrite[]): Promise<void> {
  const consumerIds = writes.map((w) => w.consumerUuid);
  const items = writes.flatMap((w) => w.allocations);
  const providers = [...new Set(items.map((a) => a.provider))];
  const locked = await lockProviders(store, trx, providers);
  const missing = providers.find((p) => !locked.has(p));
  if (missing) throw new BadRequest(`Allocation for resource provider '${missing}' that does not exist.`);

  const consumers = new Map((await trx.selectFrom('consumers').selectAll().where('uuid', 'in', consumerIds).execute()).map((c) => [c.uuid, c]));
  for (const w of writes) checkConsumerGeneration(w, consumers.get(w.consumerUuid));

  // What the consumers hold now: released by this write, so it does not count against the new claims.
  const old = await trx.selectFrom('allocations').selectAll().where('consumer_uuid', 'in', consumerIds).execute();
  const generations = new Map([...locked].map(([uuid, r]) => [uuid, r.generation]));
  const elsewhere = [...new Set(old.map((a) => a.provider_uuid))].filter((p) => !generations.has(p));
  if (elsewhere.length > 0) {
    for (const r of await trx.selectFrom('resource_providers').select(['uuid', 'generation']).where('uuid', 'in', elsewhere).execute()) generations.set(r.uuid, Number(r.generation));
  }
  const states = await resourceStates(trx, { providers, classes: [...new Set(items.map((a) => a.resourceClass))] });
  checkCapacity(writes, states, old);

  if (old.length > 0) await trx.deleteFrom('allocations').where('consumer_uuid', 'in', consumerIds).execute();
  const now = nowIso();
  for (const w of writes) await saveConsumer(trx, w, consumers.get(w.consumerUuid), now);
  const rows = writes.flatMap((w) => w.allocations.map((a) => ({
    provider_uuid: a.provider, resource_class: a.resourceClass, consumer_uuid: w.consumerUuid, used: a.used, created_at: now,
  })));
  for (let i = 0; i < rows.length; i += 200) await trx.insertInto('allocations').values(rows.slice(i, i + 200)).execute();
  await adjustUsage(trx, old, rows);
  for (const uuid of [...generations.keys()].sort()) await bumpGeneration(trx, uuid, generations.get(uuid)!);
}

/** Keeps each inventory's `used` equal to the sum of its allocations: minus what was released, plus what was taken. */
async function adjustUsage(trx: Trx, released: AllocationRow[], taken: AllocationRow[]): Promise<void> {
  const delta = new Map<string, { provider: string; resourceClass: string; amount: number }>();
  const add = (a: AllocationRow, sign: number) => {
    const key = `${a.provider_uuid}\u0000${a.resource_class}`;
    const d = delta.get(key) ?? { provider: a.provider_uuid, resourceClass: a.resource_class, amount: 0 };
    d.amount += sign * Number(a.used);
    delta.set(key, d);
  };
  for (const a of released) add(a, -1);
  for (const a of taken) add(a, +1);
  for (const d of [...delta.values()].sort((x, y) => x.provider.localeCompare(y.provider) || x.resourceClass.localeCompare(y.resourceClass))) {
    if (d.amount === 0) continue;
    await trx.updateTable('inventories').set((eb) => ({ used: eb('used', '+', d.amount) }))
      .where('provider_uuid', '=', d.provider).where('resource_class', '=', d.resourceClass).execute();
  }
}

function checkConsumerGeneration(w: ConsumerWrite, existing: ConsumerRow | undefined): void {
  if (w.expectedGeneration === undefined) return;
  if (existing && Number(existing.generation) !== w.expectedGeneration) {
    throw concurrentUpdate(`consumer generation conflict - expected ${existing.generation} but got ${w.expectedGeneration}`);
  }
  if (!existing && w.expectedGeneration !== null) {
    throw concurrentUpdate(`consumer generation conflict - expected null but got ${w.expectedGeneration}`);
  }
}

/**
 * used + requested ≤ (total − reserved) × allocation_ratio for every provider and class, the requests of all consumers
 * in the write summed; each single amount within min_unit, max_unit and step_size. A write that leaves an already
 * over-committed class (after an inventory shrink) no worse than before is allowed, as in Placement.
 */
function checkCapacity(writes: ConsumerWrite[], states: Awaited<ReturnType<typeof resourceStates>>, old: { provider_uuid: string; resource_class: string; used: number }[]): void {
  const key = (p: string, rc: string) => `${p}\u0000${rc}`;
  const released = new Map<string, number>();
  for (const a of old) released.set(key(a.provider_uuid, a.resource_class), (released.get(key(a.provider_uuid, a.resource_class)) ?? 0) + Number(a.used));
  const needed = new Map<string, { provider: string; resourceClass: string; amount: number }>();
  for (const a of writes.flatMap((w) => w.allocations)) {
    const state = states.get(a.provider)?.get(a.resourceClass);
    const where = `'${a.resourceClass}' on resource provider '${a.provider}'`;
    if (!state) throw new Conflict(`Unable to allocate inventory: Inventory for ${where} invalid: the provider has no inventory of that class.`);
    if (!respectsUnits(state, a.used)) {
      throw new Conflict(`Unable to allocate inventory: Unable to create allocation for ${where}. The requested amount would violate inventory constraints: `
        + `${a.used} requested, min_unit ${state.minUnit}, max_unit ${state.maxUnit}, step_size ${state.stepSize}.`);
    }
    const n = needed.get(key(a.provider, a.resourceClass)) ?? { provider: a.provider, resourceClass: a.resourceClass, amount: 0 };
    n.amount += a.used;
    needed.set(key(a.provider, a.resourceClass), n);
  }
  for (const [k, n] of needed) {
    const state = states.get(n.provider)!.get(n.resourceClass)!;
    const usedByOthers = state.used - (released.get(k) ?? 0);
    const total = usedByOthers + n.amount;
    if (total > capacity(state) && total > state.used) {
      throw new Conflict(`Unable to allocate inventory: Unable to create allocation for '${n.resourceClass}' on resource provider '${n.provider}'. `
        + `The requested amount would exceed the capacity: ${n.amount} requested, ${usedByOthers} used by others, capacity ${capacity(state)}.`);
    }
  }
}

/** Creates, updates (bumping its generation by compare-and-swap) or deletes the consumer row of one write. */
async function saveConsumer(trx: Trx, w: ConsumerWrite, existing: ConsumerRow | undefined, now: string): Promise<void> {
  const lost = () => (w.expectedGeneration === undefined ? new GenerationRace('Another request changed the allocations of consumer ' + w.consumerUuid)
    : concurrentUpdate(`consumer generation conflict - another request changed the allocations of consumer ${w.consumerUuid}`));
  if (!existing) {
    if (w.allocations.length === 0) return;
    try {
      await trx.insertInto('consumers').values({
        uuid: w.consumerUuid, project_id: w.projectId, user_id: w.userId, consumer_type: w.consumerType ?? null,
        generation: 1, created_at: now, updated_at: now,
      }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw lost();
      throw err;
    }
    return;
  }
  const generation = Number(existing.generation);
  const result = w.allocations.length === 0
    ? await trx.deleteFrom('consumers').where('uuid', '=', w.consumerUuid).where('generation', '=', generation).executeTakeFirst()
    : await trx.updateTable('consumers').set({
      generation: generation + 1, project_id: w.projectId, user_id: w.userId, updated_at: now,
      ...(w.consumerType !== undefined ? { consumer_type: w.consumerType } : {}),
    }).where('uuid', '=', w.consumerUuid).where('generation', '=', generation).executeTakeFirst();
  const changed = 'numDeletedRows' in result ? result.numDeletedRows : result.numUpdatedRows;
  if (Number(changed) !== 1) throw lost();
}

export interface ConsumerAllocations {
  uuid: string;
  projectId: string;
  userId: string;
  consumerType: string | null;
  generation: number;
  /** By provider: its current generation and the amounts held per class. */
  providers: Map<string, { generation: number; resources: Record<string, number> }>;
}

/** GET /allocations/{consumer}: undefined when the consumer holds nothing. */
export async function consumerAllocations(db: PlacementDb, uuid: string): Promise<ConsumerAllocations | undefined> {
  const consumer = await db.selectFrom('consumers').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  if (!consumer) return undefined;
  const rows = await db.selectFrom('allocations').innerJoin('resource_providers as rp', 'rp.uuid', 'allocations.provider_uuid')
    .select(['allocations.provider_uuid', 'allocations.resource_class', 'allocations.used', 'rp.generation'])
    .where('allocations.consumer_uuid', '=', uuid).orderBy('allocations.provider_uuid').orderBy('allocations.resource_class').execute();
  if (rows.length === 0) return undefined;
  const providers = new Map<string, { generation: number; resources: Record<string, number> }>();
  for (const r of rows) {
    const entry = providers.get(r.provider_uuid) ?? { generation: Number(r.generation), resources: {} };
    entry.resources[r.resource_class] = Number(r.used);
    providers.set(r.provider_uuid, entry);
  }
  return {
    uuid, projectId: consumer.project_id, userId: consumer.user_id, consumerType: consumer.consumer_type,
    generation: Number(consumer.generation), providers,
  };
}

/** GET /resource_providers/{uuid}/allocations: per consumer, its amounts on this provider and its generation. */
export async function providerAllocations(db: PlacementDb, uuid: string): Promise<Map<string, { consumerGeneration: number; resources: Record<string, number> }>> {
  const rows = await db.selectFrom('allocations').innerJoin('consumers', 'consumers.uuid', 'allocations.consumer_uuid')
    .select(['allocations.consumer_uuid', 'allocations.resource_class', 'allocations.used', 'consumers.generation'])
    .where('allocations.provider_uuid', '=', uuid).orderBy('allocations.consumer_uuid').orderBy('allocations.resource_class').execute();
  const out = new Map<string, { consumerGeneration: number; resources: Record<string, number> }>();
  for (const r of rows) {
    const entry = out.get(r.consumer_uuid) ?? { consumerGeneration: Number(r.generation), resources: {} };
    entry.resources[r.resource_class] = Number(r.used);
    out.set(r.consumer_uuid, entry);
  }
  return out;
}
