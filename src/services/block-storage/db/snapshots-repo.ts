// Snapshots in the block-storage database; status changes are conditional updates as for volumes.
import type { Snapshot } from '../domain/models.ts';
import type { BlockStorageDb, SnapshotRow } from './tables.ts';

export function toSnapshot(row: SnapshotRow): Snapshot {
  return {
    id: row.id, projectId: row.project_id, userId: row.user_id, volumeId: row.volume_id, name: row.name, description: row.description,
    size: Number(row.size), status: row.status, progress: row.progress, providerLocation: row.provider_location,
    createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

export function snapshotRow(s: Snapshot): SnapshotRow {
  return {
    id: s.id, project_id: s.projectId, user_id: s.userId, volume_id: s.volumeId, name: s.name, description: s.description, size: s.size,
    status: s.status, progress: s.progress, provider_location: s.providerLocation, created_at: s.createdAt, updated_at: s.updatedAt,
  };
}

export async function getSnapshot(db: BlockStorageDb, id: string): Promise<Snapshot | undefined> {
  const row = await db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toSnapshot(row) : undefined;
}

export type SnapshotChanges = Partial<Omit<SnapshotRow, 'id' | 'project_id' | 'user_id' | 'volume_id' | 'created_at'>>;

/** Applies `changes` only when the snapshot's status is one of `from` (any when undefined); whether it did. */
export async function updateSnapshot(db: BlockStorageDb, id: string, changes: SnapshotChanges, from?: readonly string[]): Promise<boolean> {
  let q = db.updateTable('snapshots').set({ ...changes, updated_at: new Date().toISOString() }).where('id', '=', id);
  if (from) q = q.where('status', 'in', [...from]);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

export async function deleteSnapshotRow(db: BlockStorageDb, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('snapshot_metadata').where('owner_id', '=', id).execute();
    await tx.deleteFrom('snapshots').where('id', '=', id).execute();
  });
}

export async function snapshotsOfVolume(db: BlockStorageDb, volumeId: string): Promise<Snapshot[]> {
  return (await db.selectFrom('snapshots').selectAll().where('volume_id', '=', volumeId).execute()).map(toSnapshot);
}

/** Snapshots in the given statuses whose volume lives on `host`. */
export async function snapshotsOnHost(db: BlockStorageDb, host: string, statuses: string[]): Promise<Snapshot[]> {
  const rows = await db.selectFrom('snapshots').selectAll('snapshots').innerJoin('volumes', 'volumes.id', 'snapshots.volume_id')
    .where('volumes.host', '=', host).where('snapshots.status', 'in', statuses).execute();
  return rows.map(toSnapshot);
}
