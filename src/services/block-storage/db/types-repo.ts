// Volume types with their extra specs and access lists. Name uniqueness is the database's.
import type { VolumeType } from '../domain/models.ts';
import type { BlockStorageDb, VolumeTypeRow } from './tables.ts';

export const DEFAULT_TYPE_NAME = '__DEFAULT__';

async function withSpecs(db: BlockStorageDb, rows: VolumeTypeRow[]): Promise<VolumeType[]> {
  if (rows.length === 0) return [];
  const specs = await db.selectFrom('volume_type_extra_specs').selectAll().where('type_id', 'in', rows.map((r) => r.id)).orderBy('key').execute();
  return rows.map((r) => ({
    id: r.id, name: r.name, description: r.description, isPublic: Boolean(r.is_public), qosSpecsId: r.qos_specs_id,
    extraSpecs: Object.fromEntries(specs.filter((s) => s.type_id === r.id).map((s) => [s.key, s.value])),
  }));
}

export async function getType(db: BlockStorageDb, id: string): Promise<VolumeType | undefined> {
  const row = await db.selectFrom('volume_types').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? (await withSpecs(db, [row]))[0] : undefined;
}

export async function getTypeByName(db: BlockStorageDb, name: string): Promise<VolumeType | undefined> {
  const row = await db.selectFrom('volume_types').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? (await withSpecs(db, [row]))[0] : undefined;
}

/** Public types, plus private ones shared with `accessProject` (all private ones when it is undefined). */
export async function listTypes(db: BlockStorageDb, q: { isPublic?: boolean; accessProject?: string }): Promise<VolumeType[]> {
  let query = db.selectFrom('volume_types').selectAll();
  if (q.isPublic !== undefined) query = query.where('is_public', '=', q.isPublic);
  if (q.accessProject !== undefined) {
    const project = q.accessProject;
    query = query.where((eb) => eb.or([
      eb('is_public', '=', true),
      eb('id', 'in', eb.selectFrom('volume_type_projects').select('type_id').where('project_id', '=', project)),
    ]));
  }
  return withSpecs(db, await query.orderBy('name').execute());
}

/** Inserts a type with its specs; a duplicate name surfaces as the database's unique violation. */
export async function insertType(db: BlockStorageDb, t: VolumeType): Promise<void> {
  const now = new Date().toISOString();
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('volume_types').values({ id: t.id, name: t.name, description: t.description, is_public: t.isPublic, qos_specs_id: t.qosSpecsId, created_at: now, updated_at: now }).execute();
    for (const [key, value] of Object.entries(t.extraSpecs)) await tx.insertInto('volume_type_extra_specs').values({ type_id: t.id, key, value }).execute();
  });
}

export async function updateType(db: BlockStorageDb, id: string, changes: { name?: string; description?: string | null; is_public?: boolean }): Promise<void> {
  await db.updateTable('volume_types').set({ ...changes, updated_at: new Date().toISOString() }).where('id', '=', id).execute();
}

export async function typeInUse(db: BlockStorageDb, id: string): Promise<boolean> {
  return (await db.selectFrom('volumes').select('id').where('volume_type_id', '=', id).limit(1).executeTakeFirst()) !== undefined;
}

export async function deleteType(db: BlockStorageDb, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('volume_type_extra_specs').where('type_id', '=', id).execute();
    await tx.deleteFrom('volume_type_projects').where('type_id', '=', id).execute();
    await tx.deleteFrom('volume_types').where('id', '=', id).execute();
  });
}

export async function upsertExtraSpecs(db: BlockStorageDb, id: string, specs: Record<string, string>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const [key, value] of Object.entries(specs)) {
      const r = await tx.updateTable('volume_type_extra_specs').set({ value }).where('type_id', '=', id).where('key', '=', key).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) await tx.insertInto('volume_type_extra_specs').values({ type_id: id, key, value }).execute();
    }
  });
}

export async function deleteExtraSpec(db: BlockStorageDb, id: string, key: string): Promise<boolean> {
  const r = await db.deleteFrom('volume_type_extra_specs').where('type_id', '=', id).where('key', '=', key).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listTypeAccess(db: BlockStorageDb, id: string): Promise<string[]> {
  return (await db.selectFrom('volume_type_projects').select('project_id').where('type_id', '=', id).orderBy('project_id').execute()).map((r) => r.project_id);
}

export async function hasTypeAccess(db: BlockStorageDb, id: string, project: string): Promise<boolean> {
  return (await db.selectFrom('volume_type_projects').select('type_id').where('type_id', '=', id).where('project_id', '=', project).executeTakeFirst()) !== undefined;
}

export async function addTypeAccess(db: BlockStorageDb, id: string, project: string): Promise<void> {
  await db.insertInto('volume_type_projects').values({ type_id: id, project_id: project }).execute();
}

export async function removeTypeAccess(db: BlockStorageDb, id: string, project: string): Promise<boolean> {
  const r = await db.deleteFrom('volume_type_projects').where('type_id', '=', id).where('project_id', '=', project).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
