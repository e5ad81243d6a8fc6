// Host aggregates, their hosts and metadata. A host's availability zone is the `availability_zone` metadata of an
// aggregate it is in (the API keeps a host's aggregates from naming different zones).
import { randomUUID } from 'node:crypto';
import type { ComputeDb } from './tables.ts';

export const AZ_KEY = 'availability_zone';

export interface Aggregate {
  id: number;
  uuid: string;
  name: string;
  hosts: string[];
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string | null;
}

export async function listAggregates(db: ComputeDb, ids?: number[]): Promise<Aggregate[]> {
  if (ids && ids.length === 0) return [];
  let q = db.selectFrom('aggregates').selectAll();
  if (ids) q = q.where('id', 'in', ids);
  const rows = await q.orderBy('id').execute();
  if (rows.length === 0) return [];
  const rowIds = rows.map((r) => r.id);
  const hosts = await db.selectFrom('aggregate_hosts').selectAll().where('aggregate_id', 'in', rowIds).orderBy('host').execute();
  const meta = await db.selectFrom('aggregate_metadata').selectAll().where('aggregate_id', 'in', rowIds).orderBy('key').execute();
  return rows.map((r) => ({
    id: Number(r.id), uuid: r.uuid, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at,
    hosts: hosts.filter((h) => Number(h.aggregate_id) === Number(r.id)).map((h) => h.host),
    metadata: Object.fromEntries(meta.filter((m) => Number(m.aggregate_id) === Number(r.id)).map((m) => [m.key, m.value])),
  }));
}

export async function getAggregate(db: ComputeDb, id: number): Promise<Aggregate | undefined> {
  return (await listAggregates(db, [id]))[0];
}

/** Creates an aggregate; the unique name is enforced by the database (a lost race throws a unique violation). */
export async function insertAggregate(db: ComputeDb, name: string, zone: string | null): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const now = new Date().toISOString();
    const uuid = randomUUID();
    await tx.insertInto('aggregates').values({ uuid, name, created_at: now, updated_at: null }).execute();
    const row = await tx.selectFrom('aggregates').select('id').where('uuid', '=', uuid).executeTakeFirstOrThrow();
    const id = Number(row.id);
    if (zone !== null) await tx.insertInto('aggregate_metadata').values({ aggregate_id: id, key: AZ_KEY, value: zone }).execute();
    return id;
  });
}

export async function renameAggregate(db: ComputeDb, id: number, name: string): Promise<void> {
  await db.updateTable('aggregates').set({ name, updated_at: new Date().toISOString() }).where('id', '=', id).execute();
}

/** Sets (string) and deletes (null) metadata keys. */
export async function updateAggregateMetadata(db: ComputeDb, id: number, changes: Record<string, string | null>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const [key, value] of Object.entries(changes)) {
      await tx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).where('key', '=', key).execute();
      if (value !== null) await tx.insertInto('aggregate_metadata').values({ aggregate_id: id, key, value }).execute();
    }
    await tx.updateTable('aggregates').set({ updated_at: new Date().toISOString() }).where('id', '=', id).execute();
  });
}

/** Deletes an aggregate that has no hosts; false when it had some (or is gone). */
export async function deleteEmptyAggregate(db: ComputeDb, id: number): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const hosts = await tx.selectFrom('aggregate_hosts').select('host').where('aggregate_id', '=', id).execute();
    if (hosts.length) return false;
    await tx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).execute();
    const res = await tx.deleteFrom('aggregates').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  });
}

/** Adds a host; the primary key rejects a duplicate (a unique violation). */
export async function addAggregateHost(db: ComputeDb, id: number, host: string): Promise<void> {
  await db.insertInto('aggregate_hosts').values({ aggregate_id: id, host }).execute();
}

export async function removeAggregateHost(db: ComputeDb, id: number, host: string): Promise<boolean> {
  const res = await db.deleteFrom('aggregate_hosts').where('aggregate_id', '=', id).where('host', '=', host).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Each host's availability zone, for the hosts some aggregate gives one. */
export async function hostZones(db: ComputeDb): Promise<Map<string, string>> {
  const rows = await db.selectFrom('aggregate_hosts')
    .innerJoin('aggregate_metadata', 'aggregate_metadata.aggregate_id', 'aggregate_hosts.aggregate_id')
    .select(['aggregate_hosts.host', 'aggregate_metadata.value']).where('aggregate_metadata.key', '=', AZ_KEY)
    .orderBy('aggregate_hosts.aggregate_id').execute();
  const zones = new Map<string, string>();
  for (const r of rows) if (!zones.has(r.host)) zones.set(r.host, r.value);
  return zones;
}

/** The uuids of the aggregates a host is in (its resource providers' aggregates in Placement). */
export async function hostAggregateUuids(db: ComputeDb, host: string): Promise<string[]> {
  const rows = await db.selectFrom('aggregate_hosts').innerJoin('aggregates', 'aggregates.id', 'aggregate_hosts.aggregate_id')
    .select('aggregates.uuid').where('aggregate_hosts.host', '=', host).orderBy('aggregates.uuid').execute();
  return rows.map((r) => r.uuid);
}
