// Resource classes: the standard ones (read-only) and CUSTOM_ ones operators create, rename (before 1.7) and delete.
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import { isForeignKeyViolation, isUniqueViolation } from '#lib/db/index.ts';
import { duplicateName } from '../domain/errors.ts';
import { STANDARD_RESOURCE_CLASSES } from '../domain/resource-classes.ts';
import type { PlacementDb } from './tables.ts';
import { nowIso } from './transactions.ts';
import { forgetProviderGraph } from './graph-changes.ts';

export async function listResourceClasses(db: PlacementDb): Promise<string[]> {
  // Standard classes first, in os-resource-classes' order, then custom ones by name.
  const rows = await db.selectFrom('resource_classes').select(['name', 'standard']).execute();
  const rank = (name: string) => {
    const i = STANDARD_RESOURCE_CLASSES.indexOf(name);
    return i < 0 ? STANDARD_RESOURCE_CLASSES.length : i;
  };
  const standard = rows.filter((r) => Boolean(r.standard)).map((r) => r.name).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const custom = rows.filter((r) => !r.standard).map((r) => r.name).sort();
  return [...standard, ...custom];
}

export async function resourceClassExists(db: PlacementDb, name: string): Promise<boolean> {
  return (await db.selectFrom('resource_classes').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
}

// Standard classes are rows from start-up on (ensureStandardRows) and cannot be deleted: known without a read.
const STANDARD = new Set(STANDARD_RESOURCE_CLASSES);

/** The names among `names` that are not resource classes. */
export async function unknownResourceClasses(db: PlacementDb, names: Iterable<string>): Promise<string[]> {
  const wanted = [...new Set(names)].filter((n) => !STANDARD.has(n));
  if (wanted.length === 0) return [];
  const have = new Set((await db.selectFrom('resource_classes').select('name').where('name', 'in', wanted).execute()).map((r) => r.name));
  return wanted.filter((n) => !have.has(n));
}

/** POST /resource_classes: 409 duplicate_name when the name exists. */
export async function createResourceClass(db: PlacementDb, name: string): Promise<void> {
  try {
    await db.insertInto('resource_classes').values({ name, standard: false, created_at: nowIso() }).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName(`Conflicting resource class already exists: ${name}`);
    throw err;
  }
}

/** PUT /resource_classes/{name} from 1.7: creates the custom class if missing; false when it already existed. */
export async function ensureResourceClass(db: PlacementDb, name: string): Promise<boolean> {
  if (await resourceClassExists(db, name)) return false;
  try {
    await db.insertInto('resource_classes').values({ name, standard: false, created_at: nowIso() }).execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/**
 * PUT /resource_classes/{name} before 1.7: renames a custom class. Inventories and allocations follow the new name
 * (ON UPDATE CASCADE), so a class in use can be renamed as in Placement.
 */
export async function renameResourceClass(db: PlacementDb, name: string, newName: string): Promise<void> {
  const row = await db.selectFrom('resource_classes').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw new NotFound(`No such resource class ${name}.`);
  if (Boolean(row.standard)) throw new BadRequest(`Cannot update standard resource class ${name}`);
  if (newName === name) return;
  try {
    await db.updateTable('resource_classes').set({ name: newName }).where('name', '=', name).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName(`Resource class already exists: ${newName}`);
    throw err;
  }
  // The rename reached inventories by cascade, without a generation bump: tell the candidate caches
  // (provider-graph-cache.ts) through the providers' updated_at, and drop this process's copy.
  await db.updateTable('resource_providers').set({ updated_at: nowIso() })
    .where('uuid', 'in', db.selectFrom('inventories').select('provider_uuid').where('resource_class', '=', newName)).execute();
  forgetProviderGraph(db);
}

/** DELETE /resource_classes/{name}: 404 unknown, 400 standard, 409 while any provider has inventory of it. */
export async function deleteResourceClass(db: PlacementDb, name: string): Promise<void> {
  const row = await db.selectFrom('resource_classes').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw new NotFound(`No such resource class ${name}.`);
  if (Boolean(row.standard)) throw new BadRequest(`Error in delete resource class: Cannot delete standard resource class ${name}.`);
  const inUse = new Conflict(`Error in delete resource class: Cannot delete resource class ${name}. Class is in use in inventory.`);
  if (await db.selectFrom('inventories').select('resource_class').where('resource_class', '=', name).limit(1).executeTakeFirst()) throw inUse;
  try {
    await db.deleteFrom('resource_classes').where('name', '=', name).execute();
  } catch (err) {
    if (isForeignKeyViolation(err)) throw inUse;
    throw err;
  }
}
