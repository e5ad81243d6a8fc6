// Inventories: what a provider offers per resource class. Every change locks the provider, checks the caller's
// generation, refuses to remove inventory that allocations use, and bumps the generation (compare-and-swap).
import { BadRequest, NotFound } from '#lib/errors.ts';
import { isForeignKeyViolation, isUniqueViolation } from '#lib/db/index.ts';
import { concurrentUpdate, inventoryInUse } from '../domain/errors.ts';
import type { Inventory } from '../domain/inventory.ts';
import type { InventoryRow, PlacementDb, PlacementStore } from './tables.ts';
import type { Trx } from './transactions.ts';
import { bumpGeneration, inTransaction, lockProviders, nowIso } from './transactions.ts';
import { unknownResourceClasses } from './resource-classes-repo.ts';

export function inventoryFromRow(r: InventoryRow): Inventory {
  return {
    total: Number(r.total), reserved: Number(r.reserved), minUnit: Number(r.min_unit), maxUnit: Number(r.max_unit),
    stepSize: Number(r.step_size), allocationRatio: Number(r.allocation_ratio),
  };
}

/** A provider's inventories by resource class, in class-name order. */
export async function providerInventories(db: PlacementDb, uuid: string): Promise<Map<string, Inventory>> {
  const rows = await db.selectFrom('inventories').selectAll().where('provider_uuid', '=', uuid).orderBy('resource_class').execute();
  return new Map(rows.map((r) => [r.resource_class, inventoryFromRow(r)]));
}

export interface InventoryChange {
  /** Inventories to create or replace, by class. */
  set: Map<string, Inventory>;
  /** Classes whose inventory goes away; refused with 409 inventory.inuse while allocations use it. */
  remove: string[];
}

/** Decides the change from the provider's current inventories (read under the provider's row lock). */
export type InventoryPlan = (current: Map<string, Inventory>) => InventoryChange;

export interface InventoryResult {
  generation: number;
  inventories: Map<string, Inventory>;
}

/**
 * Applies a change to a provider's inventories in one transaction. `expectedGeneration` undefined means "whatever it
 * is now" (the DELETE calls, which carry none); a stale generation is 409 concurrent_update and changes nothing.
 */
export async function changeInventories(store: PlacementStore, uuid: string, expectedGeneration: number | undefined, plan: InventoryPlan): Promise<InventoryResult> {
  try {
    return await inTransaction(store, (trx) => applyInventoryChange(store, trx, uuid, expectedGeneration, plan));
  } catch (err) {
    throw translateInventoryError(err, uuid);
  }
}

/** The body of changeInventories, for callers that compose it into a larger transaction (the reshaper). */
export async function applyInventoryChange(store: PlacementStore, trx: Trx, uuid: string, expectedGeneration: number | undefined, plan: InventoryPlan): Promise<InventoryResult> {
  const rp = (await lockProviders(store, trx, [uuid])).get(uuid);
  if (!rp) throw new NotFound(`No resource provider with uuid ${uuid} found`);
  if (expectedGeneration !== undefined && rp.generation !== expectedGeneration) {
    throw concurrentUpdate(`resource provider generation conflict: the provider ${uuid} is at generation ${rp.generation}, not ${expectedGeneration}`);
  }
  const current = await providerInventories(trx, uuid);
  const change = plan(current);
  const unknown = await unknownResourceClasses(trx, change.set.keys());
  if (unknown.length > 0) throw new BadRequest(`Unknown resource class in inventory for resource provider ${uuid}: No such resource class ${unknown.join(', ')}.`);
  if (change.remove.length > 0) {
    const used = await trx.selectFrom('allocations').select('resource_class').distinct()
      .where('provider_uuid', '=', uuid).where('resource_class', 'in', change.remove).execute();
    if (used.length > 0) {
      const classes = used.map((u) => u.resource_class).sort().join(', ');
      throw inventoryInUse(`update conflict: Inventory for '${classes}' on resource provider '${uuid}' in use.`);
    }
    await trx.deleteFrom('inventories').where('provider_uuid', '=', uuid).where('resource_class', 'in', change.remove).execute();
  }
  const now = nowIso();
  for (const [rc, inv] of change.set) {
    const values = {
      total: inv.total, reserved: inv.reserved, min_unit: inv.minUnit, max_unit: inv.maxUnit,
      step_size: inv.stepSize, allocation_ratio: inv.allocationRatio, updated_at: now,
    };
    if (current.has(rc)) {
      await trx.updateTable('inventories').set(values).where('provider_uuid', '=', uuid).where('resource_class', '=', rc).execute();
    } else {
      await trx.insertInto('inventories').values({ provider_uuid: uuid, resource_class: rc, used: 0, created_at: now, ...values }).execute();
    }
  }
  const generation = await bumpGeneration(trx, uuid, rp.generation);
  return { generation, inventories: await providerInventories(trx, uuid) };
}

/** Maps constraint errors a racing request can still cause to Placement's answers. */
export function translateInventoryError(err: unknown, uuid: string): unknown {
  if (isForeignKeyViolation(err)) {
    return inventoryInUse(`update conflict: Inventory on resource provider '${uuid}' is in use by allocations, or its resource class was deleted.`);
  }
  if (isUniqueViolation(err)) return concurrentUpdate(`update conflict: the inventories of resource provider ${uuid} were changed by another request.`);
  return err;
}
