// Resource providers and their trees: create (under a parent), rename or re-parent, delete (never with children or
// allocations — foreign keys back the checks), and the filtered list of GET /resource_providers.
import { BadRequest, NotFound } from '#lib/errors.ts';
import { isForeignKeyViolation, isUniqueViolation } from '#lib/db/index.ts';
import { cannotDeleteParent, duplicateName, providerInUse } from '../domain/errors.ts';
import { fits } from '../domain/inventory.ts';
import type { PlacementDb, PlacementStore, ResourceProviderRow } from './tables.ts';
import { inTransaction, lockProviders, nowIso } from './transactions.ts';
import { forgetProviderGraph } from './graph-changes.ts';
import { resourceStates } from './usages-repo.ts';
import { aggregatesByProvider } from './aggregates-repo.ts';
import { traitsByProvider } from './traits-repo.ts';

export type ProviderRecord = ResourceProviderRow;

export async function getProvider(db: PlacementDb, uuid: string): Promise<ProviderRecord | undefined> {
  const row = await db.selectFrom('resource_providers').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  return row && { ...row, generation: Number(row.generation) };
}

/** The provider, or 404 with Placement's wording. */
export async function requireProvider(db: PlacementDb, uuid: string): Promise<ProviderRecord> {
  const rp = await getProvider(db, uuid);
  if (!rp) throw new NotFound(`No resource provider with uuid ${uuid} found`);
  return rp;
}

/** Creates a provider, as a root or under `parentUuid` (whose tree it joins). 409 duplicate_name on a taken name or uuid. */
export async function createProvider(store: PlacementStore, input: { uuid: string; name: string; parentUuid: string | null }): Promise<ProviderRecord> {
  const now = nowIso();
  if (input.parentUuid === input.uuid) {
    throw new BadRequest(`Unable to create resource provider "${input.name}", ${input.uuid}: parent provider UUID cannot be same as UUID. Please set parent provider UUID to None if there is no parent.`);
  }
  try {
    return await inTransaction(store, async (trx) => {
      let root = input.uuid;
      if (input.parentUuid) {
        // Locking the parent keeps its tree (root) stable until the child is written under it.
        const parent = (await lockProviders(store, trx, [input.parentUuid])).get(input.parentUuid);
        if (!parent) throw new BadRequest(`Unable to create resource provider "${input.name}", ${input.uuid}: parent provider UUID does not exist.`);
        root = parent.root_uuid;
      }
      const row: ProviderRecord = { uuid: input.uuid, name: input.name, generation: 0, parent_uuid: input.parentUuid, root_uuid: root, created_at: now, updated_at: now };
      await trx.insertInto('resource_providers').values(row).execute();
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      const clash = await store.db.selectFrom('resource_providers').select(['uuid', 'name'])
        .where((eb) => eb.or([eb('uuid', '=', input.uuid), eb('name', '=', input.name)])).execute();
      const what = clash.map((c) => (c.uuid === input.uuid ? `uuid: ${input.uuid}` : `name: ${input.name}`));
      throw duplicateName(`Conflicting resource provider ${what.join(', ') || `name: ${input.name}`} already exists.`);
    }
    if (isForeignKeyViolation(err)) throw new BadRequest(`Unable to create resource provider "${input.name}", ${input.uuid}: parent provider UUID does not exist.`);
    throw err;
  }
}

/**
 * Renames and/or re-parents a provider. `parentUuid` undefined leaves the parent alone; null un-parents. Changing an
 * existing parent needs allowReparent (microversion 1.37); a parent inside the provider's own subtree is refused.
 * The moved subtree takes the new parent's root. The provider's generation is not changed, as in Placement.
 */
export async function updateProvider(store: PlacementStore, uuid: string, change: { name: string; parentUuid?: string | null }, allowReparent: boolean): Promise<ProviderRecord> {
  const fail = (reason: string) => new BadRequest(`Unable to save resource provider ${uuid}: Object action update failed because: ${reason}`);
  try {
    const updated = await inTransaction(store, async (trx) => {
      const locked = await lockProviders(store, trx, [uuid]);
      if (!locked.has(uuid)) throw new NotFound(`No resource provider with uuid ${uuid} found`);
      const current = (await getProvider(trx, uuid))!;
      const patch: Partial<ProviderRecord> = { name: change.name, updated_at: nowIso() };
      if (change.parentUuid !== undefined && change.parentUuid !== current.parent_uuid) {
        let newRoot = uuid;
        const subtree = await subtreeOf(trx, uuid);
        if (change.parentUuid !== null) {
          if (current.parent_uuid !== null && !allowReparent) throw fail('re-parenting a provider is not currently allowed.');
          const parent = await getProvider(trx, change.parentUuid);
          if (!parent) throw fail('parent provider UUID does not exist.');
          if (subtree.includes(change.parentUuid)) throw fail('creating loop in the provider tree is not allowed.');
          newRoot = parent.root_uuid;
        } else if (!allowReparent) {
          throw fail('un-parenting a provider is not currently allowed.');
        }
        patch.parent_uuid = change.parentUuid;
        patch.root_uuid = newRoot;
        if (newRoot !== current.root_uuid) {
          // updated_at tells other processes' candidate caches (provider-graph-cache.ts) the root changed.
          await trx.updateTable('resource_providers').set({ root_uuid: newRoot, updated_at: patch.updated_at }).where('uuid', 'in', subtree).execute();
        }
      }
      await trx.updateTable('resource_providers').set(patch).where('uuid', '=', uuid).execute();
      return (await getProvider(trx, uuid))!;
    });
    forgetProviderGraph(store.db);
    return updated;
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName(`Conflicting resource provider ${change.name} already exists.`);
    if (isForeignKeyViolation(err)) throw fail('parent provider UUID does not exist.');
    throw err;
  }
}

/** The provider and everything below it. */
export async function subtreeOf(db: PlacementDb, uuid: string): Promise<string[]> {
  const root = (await db.selectFrom('resource_providers').select('root_uuid').where('uuid', '=', uuid).executeTakeFirst())?.root_uuid;
  if (!root) return [];
  const tree = await db.selectFrom('resource_providers').select(['uuid', 'parent_uuid']).where('root_uuid', '=', root).execute();
  const children = new Map<string, string[]>();
  for (const p of tree) if (p.parent_uuid) children.set(p.parent_uuid, [...(children.get(p.parent_uuid) ?? []), p.uuid]);
  const out: string[] = [];
  for (const queue = [uuid]; queue.length > 0;) {
    const next = queue.shift()!;
    if (out.includes(next)) continue;
    out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}

/**
 * Deletes a provider with its inventories, traits and aggregate links. 409 cannot_delete_parent while it has children,
 * 409 resource_provider.inuse while it has allocations — checked first for the message, enforced by foreign keys.
 */
export async function deleteProvider(store: PlacementStore, uuid: string): Promise<void> {
  const inUse = () => providerInUse(`Unable to delete resource provider ${uuid}: Resource provider has allocations.`);
  const parent = () => cannotDeleteParent(`Unable to delete parent resource provider ${uuid}: It has child resource providers.`);
  try {
    await inTransaction(store, async (trx) => {
      if (!(await lockProviders(store, trx, [uuid])).has(uuid)) throw new NotFound(`No resource provider with uuid ${uuid} found for delete`);
      if (await trx.selectFrom('resource_providers').select('uuid').where('parent_uuid', '=', uuid).limit(1).executeTakeFirst()) throw parent();
      if (await trx.selectFrom('allocations').select('consumer_uuid').where('provider_uuid', '=', uuid).limit(1).executeTakeFirst()) throw inUse();
      await trx.deleteFrom('inventories').where('provider_uuid', '=', uuid).execute();
      await trx.deleteFrom('provider_traits').where('provider_uuid', '=', uuid).execute();
      await trx.deleteFrom('provider_aggregates').where('provider_uuid', '=', uuid).execute();
      await trx.deleteFrom('resource_providers').where('uuid', '=', uuid).execute();
    });
    forgetProviderGraph(store.db);
  } catch (err) {
    if (!isForeignKeyViolation(err)) throw err;
    const child = await store.db.selectFrom('resource_providers').select('uuid').where('parent_uuid', '=', uuid).limit(1).executeTakeFirst();
    throw child ? parent() : inUse();
  }
}

export interface ProviderFilters {
  name?: string;
  uuid?: string;
  inTree?: string;
  /** AND of OR-lists of aggregates, and aggregates none of which the provider may be in. */
  memberOf?: string[][];
  forbiddenAggregates?: Set<string>;
  requiredTraits?: string[][];
  forbiddenTraits?: Set<string>;
  /** Capacity one provider must have for each class (min_unit, max_unit and step_size included). */
  resources?: Map<string, number>;
}

/** GET /resource_providers: every filter given must hold (AND); names of classes and traits are checked by the caller. */
export async function listProviders(db: PlacementDb, f: ProviderFilters): Promise<ProviderRecord[]> {
  let query = db.selectFrom('resource_providers').selectAll().orderBy('created_at').orderBy('uuid');
  if (f.name !== undefined) query = query.where('name', '=', f.name);
  if (f.uuid !== undefined) query = query.where('uuid', '=', f.uuid);
  if (f.inTree !== undefined) {
    const root = (await getProvider(db, f.inTree))?.root_uuid;
    if (!root) return [];
    query = query.where('root_uuid', '=', root);
  }
  let rows = (await query.execute()).map((r) => ({ ...r, generation: Number(r.generation) }));
  const ids = () => rows.map((r) => r.uuid);
  if (rows.length > 0 && (f.memberOf?.length || f.forbiddenAggregates?.size)) {
    const aggs = await aggregatesByProvider(db, ids());
    rows = rows.filter((r) => {
      const have = aggs.get(r.uuid) ?? new Set<string>();
      return (f.memberOf ?? []).every((anyOf) => anyOf.some((a) => have.has(a))) && ![...(f.forbiddenAggregates ?? [])].some((a) => have.has(a));
    });
  }
  if (rows.length > 0 && (f.requiredTraits?.length || f.forbiddenTraits?.size)) {
    const traits = await traitsByProvider(db, ids());
    rows = rows.filter((r) => {
      const have = traits.get(r.uuid) ?? new Set<string>();
      return (f.requiredTraits ?? []).every((anyOf) => anyOf.some((t) => have.has(t))) && ![...(f.forbiddenTraits ?? [])].some((t) => have.has(t));
    });
  }
  if (rows.length > 0 && f.resources?.size) {
    const states = await resourceStates(db, { providers: ids(), classes: [...f.resources.keys()] });
    rows = rows.filter((r) => [...f.resources!].every(([rc, amount]) => {
      const s = states.get(r.uuid)?.get(rc);
      return s !== undefined && fits(s, s.used, amount);
    }));
  }
  return rows;
}
