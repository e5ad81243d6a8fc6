// Traits: the catalogue (standard and CUSTOM_ names) and each provider's set of traits, replaced with a generation check.
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import { isForeignKeyViolation, isUniqueViolation } from '#lib/db/index.ts';
import { concurrentUpdate, GENERATION_CHANGED } from '../domain/errors.ts';
import type { PlacementDb, PlacementStore } from './tables.ts';
import { bumpGeneration, inTransaction, lockProviders, nowIso } from './transactions.ts';

export interface TraitFilter {
  /** Only these names (name=in:A,B), or only names starting with this prefix (name=startswith:CUSTOM_). */
  names?: string[];
  prefix?: string;
  /** true: only traits some provider has; false: only traits no provider has. */
  associated?: boolean;
}

export async function listTraits(db: PlacementDb, f: TraitFilter): Promise<string[]> {
  let q = db.selectFrom('traits').select('name').orderBy('name');
  if (f.names) q = f.names.length ? q.where('name', 'in', f.names) : q.where('name', '=', '');
  // LIKE narrows the rows (its _ and case rules vary by engine, so it may match a few too many); startsWith decides.
  if (f.prefix !== undefined) q = q.where('name', 'like', `${f.prefix}%`);
  if (f.associated !== undefined) {
    const used = db.selectFrom('provider_traits').select('trait');
    q = f.associated ? q.where('name', 'in', used) : q.where('name', 'not in', used);
  }
  const names = (await q.execute()).map((r) => r.name);
  return f.prefix === undefined ? names : names.filter((n) => n.startsWith(f.prefix!));
}

/** The names among `names` that are not traits. */
export async function unknownTraits(db: PlacementDb, names: Iterable<string>): Promise<string[]> {
  const wanted = [...new Set(names)];
  if (wanted.length === 0) return [];
  const have = new Set((await db.selectFrom('traits').select('name').where('name', 'in', wanted).execute()).map((r) => r.name));
  return wanted.filter((n) => !have.has(n));
}

/** PUT /traits/{name}: creates a custom trait; false when it already existed. */
export async function ensureTrait(db: PlacementDb, name: string): Promise<boolean> {
  if (await db.selectFrom('traits').select('name').where('name', '=', name).executeTakeFirst()) return false;
  try {
    await db.insertInto('traits').values({ name, standard: false, created_at: nowIso() }).execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** DELETE /traits/{name}: 404 if unknown, 400 for a standard trait, 409 while a provider has it. */
export async function deleteTrait(db: PlacementDb, name: string): Promise<void> {
  const row = await db.selectFrom('traits').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw new NotFound(`No such trait(s): ${name}.`);
  if (Boolean(row.standard)) throw new BadRequest(`Cannot delete standard trait ${name}.`);
  const inUse = new Conflict(`The trait ${name} is in use by a resource provider.`);
  if (await db.selectFrom('provider_traits').select('trait').where('trait', '=', name).limit(1).executeTakeFirst()) throw inUse;
  try {
    await db.deleteFrom('traits').where('name', '=', name).execute();
  } catch (err) {
    if (isForeignKeyViolation(err)) throw inUse;
    throw err;
  }
}

/** Traits per provider, for the given providers; only the listed traits when `only` is given. */
export async function traitsByProvider(db: PlacementDb, providers?: string[], only?: string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (only?.length === 0) return out;
  const batches = providers === undefined ? [undefined] : Array.from({ length: Math.ceil(providers.length / 500) }, (_, i) => providers.slice(i * 500, i * 500 + 500));
  for (const batch of batches) {
    let q = db.selectFrom('provider_traits').select(['provider_uuid', 'trait']);
    if (batch) q = q.where('provider_uuid', 'in', batch);
    if (only) q = q.where('trait', 'in', only);
    for (const r of await q.execute()) out.set(r.provider_uuid, (out.get(r.provider_uuid) ?? new Set()).add(r.trait));
  }
  return out;
}

export async function providerTraits(db: PlacementDb, uuid: string): Promise<string[]> {
  return (await db.selectFrom('provider_traits').select('trait').where('provider_uuid', '=', uuid).orderBy('trait').execute()).map((r) => r.trait);
}

/**
 * Replaces a provider's traits and bumps its generation. `expectedGeneration` undefined (DELETE) means "whatever it
 * is now"; a stale one is 409 concurrent_update. Unknown trait names are 400 and change nothing.
 */
export async function setProviderTraits(store: PlacementStore, uuid: string, traits: string[], expectedGeneration?: number): Promise<number> {
  const unknown = await unknownTraits(store.db, traits);
  if (unknown.length > 0) throw new BadRequest(`No such trait ${unknown.join(', ')}`);
  try {
    return await inTransaction(store, async (trx) => {
      const rp = (await lockProviders(store, trx, [uuid])).get(uuid);
      if (!rp) throw new NotFound(`No resource provider with uuid ${uuid} found`);
      if (expectedGeneration !== undefined && rp.generation !== expectedGeneration) throw concurrentUpdate(GENERATION_CHANGED);
      await trx.deleteFrom('provider_traits').where('provider_uuid', '=', uuid).execute();
      const unique = [...new Set(traits)];
      if (unique.length > 0) await trx.insertInto('provider_traits').values(unique.map((trait) => ({ provider_uuid: uuid, trait }))).execute();
      return bumpGeneration(trx, uuid, rp.generation);
    });
  } catch (err) {
    // A custom trait deleted between the check above and the insert.
    if (isForeignKeyViolation(err)) throw new BadRequest(`No such trait ${(await unknownTraits(store.db, traits)).join(', ') || traits.join(', ')}`);
    throw err;
  }
}
