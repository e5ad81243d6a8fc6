// Networks and their segments. A segment's (type, physnet, id) is the segment_allocations primary key, so two
// networks never share a VNI, even when several servers allocate at once.
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '#lib/db/index.ts';
import type { NetworkDb, NetworkRow, NetworkTables } from './tables.ts';
import { segmentInUse, segmentationIdsExhausted } from '../domain/errors.ts';

type Db = Kysely<NetworkTables>;

export async function getNetwork(db: Db, id: string): Promise<NetworkRow | undefined> {
  return db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Networks a project sees: its own, shared and external ones; all of them for `project` undefined (admins). */
export async function listNetworks(db: NetworkDb, project: string | undefined): Promise<NetworkRow[]> {
  let q = db.selectFrom('networks').selectAll();
  if (project !== undefined) q = q.where((eb) => eb.or([eb('project_id', '=', project), eb('shared', '=', true), eb('router_external', '=', true)]));
  return q.orderBy('id').execute();
}

export async function subnetIdsByNetwork(db: NetworkDb, networkIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!networkIds.length) return out;
  const rows = await db.selectFrom('subnets').select(['id', 'network_id']).where('network_id', 'in', networkIds).orderBy('created_at').orderBy('id').execute();
  for (const r of rows) out.set(r.network_id, [...(out.get(r.network_id) ?? []), r.id]);
  return out;
}

export async function insertNetwork(db: Db, row: NetworkRow): Promise<void> {
  await db.insertInto('networks').values(row).execute();
}

/**
 * Claims a segment for a network: the requested id, or the lowest free one in [first, last]. Retries when another
 * writer took the same id first; NoNetworkAvailable when the range is full.
 */
export async function allocateSegment(db: Db, seg: { networkType: string; physicalNetwork: string | null; networkId: string; requested?: number; range?: [number, number] }): Promise<number> {
  const key = { network_type: seg.networkType, physical_network: seg.physicalNetwork ?? '', network_id: seg.networkId };
  if (seg.requested !== undefined) {
    try {
      await db.insertInto('segment_allocations').values({ ...key, segmentation_id: seg.requested }).execute();
      return seg.requested;
    } catch (err) {
      throw isUniqueViolation(err) ? segmentInUse(seg.networkType, seg.requested) : err;
    }
  }
  const [first, last] = seg.range!;
  for (let attempt = 0; attempt < 20; attempt++) {
    const used = await db.selectFrom('segment_allocations').select('segmentation_id')
      .where('network_type', '=', key.network_type).where('physical_network', '=', key.physical_network)
      .where('segmentation_id', '>=', first).where('segmentation_id', '<=', last).orderBy('segmentation_id').execute();
    let candidate = first;
    for (const u of used) { if (u.segmentation_id === candidate) candidate++; else if (u.segmentation_id > candidate) break; }
    if (candidate > last) throw segmentationIdsExhausted();
    try {
      await db.insertInto('segment_allocations').values({ ...key, segmentation_id: candidate }).execute();
      return candidate;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw segmentationIdsExhausted();
}

export async function countPortsOnNetwork(db: Db, networkId: string): Promise<number> {
  const row = await db.selectFrom('ports').select((eb) => eb.fn.countAll().as('n')).where('network_id', '=', networkId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Deletes a network with its subnets, segments and tags (the caller checked it has no ports). */
export async function deleteNetworkRows(db: Db, id: string): Promise<void> {
  const subnets = await db.selectFrom('subnets').select('id').where('network_id', '=', id).execute();
  const ids = [id, ...subnets.map((s) => s.id)];
  await db.deleteFrom('tags').where('resource_id', 'in', ids).execute();
  await db.deleteFrom('subnets').where('network_id', '=', id).execute();
  await db.deleteFrom('segment_allocations').where('network_id', '=', id).execute();
  await db.deleteFrom('networks').where('id', '=', id).execute();
}
