// Flavors, their extra specs and access lists in the compute database. Uniqueness of names and ids is the database's.
import type { ComputeDb, FlavorRow } from './tables.ts';
import type { Flavor } from '../domain/flavor.ts';

function toFlavor(row: FlavorRow): Flavor {
  return {
    id: row.flavorid, name: row.name, ram: row.memory_mb, vcpus: row.vcpus, disk: row.root_gb, ephemeral: row.ephemeral_gb,
    swap: row.swap, rxtxFactor: Number(row.rxtx_factor), isPublic: Boolean(row.is_public), disabled: Boolean(row.disabled),
    description: row.description,
  };
}

export async function getFlavor(db: ComputeDb, id: string): Promise<Flavor | undefined> {
  const row = await db.selectFrom('flavors').selectAll().where('flavorid', '=', id).executeTakeFirst();
  return row ? toFlavor(row) : undefined;
}

export async function getFlavorByName(db: ComputeDb, name: string): Promise<Flavor | undefined> {
  const row = await db.selectFrom('flavors').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toFlavor(row) : undefined;
}

/** Inserts a flavor; a duplicate name or id surfaces as the database's unique violation. */
export async function insertFlavor(db: ComputeDb, flavor: Flavor): Promise<void> {
  const now = new Date().toISOString();
  await db.insertInto('flavors').values({
    flavorid: flavor.id, name: flavor.name, memory_mb: flavor.ram, vcpus: flavor.vcpus, root_gb: flavor.disk,
    ephemeral_gb: flavor.ephemeral, swap: flavor.swap, rxtx_factor: flavor.rxtxFactor, is_public: flavor.isPublic,
    disabled: flavor.disabled, description: flavor.description, created_at: now, updated_at: now,
  }).execute();
}

export async function setFlavorDescription(db: ComputeDb, id: string, description: string | null): Promise<void> {
  await db.updateTable('flavors').set({ description, updated_at: new Date().toISOString() }).where('flavorid', '=', id).execute();
}

/** Deletes a flavor with its extra specs and access list, in one transaction. */
export async function deleteFlavor(db: ComputeDb, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('flavor_extra_specs').where('flavorid', '=', id).execute();
    await tx.deleteFrom('flavor_projects').where('flavorid', '=', id).execute();
    await tx.deleteFrom('flavors').where('flavorid', '=', id).execute();
  });
}

export interface FlavorListQuery {
  /** true: public only; false: private only; undefined: both. */
  isPublic?: boolean;
  /** When set, private flavors are limited to those shared with this project. */
  accessProject?: string;
  minRam?: number;
  minDisk?: number;
  /** Flavor ids sort as strings, as Nova's flavorid column does. */
  afterId?: string;
  limit: number;
  sortDir: 'asc' | 'desc';
}

export async function listFlavors(db: ComputeDb, q: FlavorListQuery): Promise<Flavor[]> {
  let query = db.selectFrom('flavors').selectAll();
  if (q.isPublic !== undefined) query = query.where('is_public', '=', q.isPublic);
  if (q.accessProject !== undefined) {
    const project = q.accessProject;
    query = query.where((eb) => eb.or([
      eb('is_public', '=', true),
      eb('flavorid', 'in', eb.selectFrom('flavor_projects').select('flavorid').where('project_id', '=', project)),
    ]));
  }
  if (q.minRam !== undefined) query = query.where('memory_mb', '>=', q.minRam);
  if (q.minDisk !== undefined) query = query.where('root_gb', '>=', q.minDisk);
  if (q.afterId !== undefined) query = query.where('flavorid', q.sortDir === 'asc' ? '>' : '<', q.afterId);
  const rows = await query.orderBy('flavorid', q.sortDir).limit(q.limit).execute();
  return rows.map(toFlavor);
}

export async function listExtraSpecs(db: ComputeDb, id: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('flavor_extra_specs').select(['key', 'value']).where('flavorid', '=', id).orderBy('key').execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Creates or replaces the given specs (others stay), in one transaction. */
export async function upsertExtraSpecs(db: ComputeDb, id: string, specs: Record<string, string>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const [key, value] of Object.entries(specs)) {
      const updated = await tx.updateTable('flavor_extra_specs').set({ value }).where('flavorid', '=', id).where('key', '=', key).executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) await tx.insertInto('flavor_extra_specs').values({ flavorid: id, key, value }).execute();
    }
  });
}

/** Whether the spec existed. */
export async function deleteExtraSpec(db: ComputeDb, id: string, key: string): Promise<boolean> {
  const r = await db.deleteFrom('flavor_extra_specs').where('flavorid', '=', id).where('key', '=', key).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listAccess(db: ComputeDb, id: string): Promise<string[]> {
  const rows = await db.selectFrom('flavor_projects').select('project_id').where('flavorid', '=', id).orderBy('project_id').execute();
  return rows.map((r) => r.project_id);
}

export async function hasAccess(db: ComputeDb, id: string, project: string): Promise<boolean> {
  return (await db.selectFrom('flavor_projects').select('project_id').where('flavorid', '=', id).where('project_id', '=', project).executeTakeFirst()) !== undefined;
}

/** Adds a project to the access list; a duplicate surfaces as the database's unique violation. */
export async function addAccess(db: ComputeDb, id: string, project: string): Promise<void> {
  await db.insertInto('flavor_projects').values({ flavorid: id, project_id: project }).execute();
}

/** Whether the project was on the list. */
export async function removeAccess(db: ComputeDb, id: string, project: string): Promise<boolean> {
  const r = await db.deleteFrom('flavor_projects').where('flavorid', '=', id).where('project_id', '=', project).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
