// QoS specs and their association with volume types (a type has at most one, as in Cinder).
import type { BlockStorageDb, QosSpecsRow } from './tables.ts';

export interface QosSpecs {
  id: string;
  name: string;
  consumer: string;
  specs: Record<string, string>;
}

const toQos = (r: QosSpecsRow): QosSpecs => ({ id: r.id, name: r.name, consumer: r.consumer, specs: JSON.parse(r.specs) as Record<string, string> });

export async function getQos(db: BlockStorageDb, id: string): Promise<QosSpecs | undefined> {
  const row = await db.selectFrom('qos_specs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toQos(row) : undefined;
}

export async function listQos(db: BlockStorageDb): Promise<QosSpecs[]> {
  return (await db.selectFrom('qos_specs').selectAll().orderBy('name').execute()).map(toQos);
}

/** A duplicate name surfaces as the database's unique violation. */
export async function insertQos(db: BlockStorageDb, q: QosSpecs): Promise<void> {
  await db.insertInto('qos_specs').values({ id: q.id, name: q.name, consumer: q.consumer, specs: JSON.stringify(q.specs), created_at: new Date().toISOString() }).execute();
}

export async function setQosSpecs(db: BlockStorageDb, id: string, specs: Record<string, string>, consumer: string): Promise<void> {
  await db.updateTable('qos_specs').set({ specs: JSON.stringify(specs), consumer }).where('id', '=', id).execute();
}

export async function typesOfQos(db: BlockStorageDb, id: string): Promise<{ id: string; name: string }[]> {
  return db.selectFrom('volume_types').select(['id', 'name']).where('qos_specs_id', '=', id).orderBy('name').execute();
}

/** Associates a type with the specs; false when the type already has other specs. */
export async function associate(db: BlockStorageDb, id: string, typeId: string): Promise<boolean> {
  const r = await db.updateTable('volume_types').set({ qos_specs_id: id }).where('id', '=', typeId)
    .where((eb) => eb.or([eb('qos_specs_id', 'is', null), eb('qos_specs_id', '=', id)])).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function disassociate(db: BlockStorageDb, id: string, typeId?: string): Promise<void> {
  let q = db.updateTable('volume_types').set({ qos_specs_id: null }).where('qos_specs_id', '=', id);
  if (typeId) q = q.where('id', '=', typeId);
  await q.execute();
}

export async function deleteQos(db: BlockStorageDb, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('volume_types').set({ qos_specs_id: null }).where('qos_specs_id', '=', id).execute();
    await tx.deleteFrom('qos_specs').where('id', '=', id).execute();
  });
}
