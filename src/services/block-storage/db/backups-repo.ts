// Backup rows and their chains: the parent an incremental backup builds on, which backups have dependents, and the
// guarded moves that keep a parent from being deleted while an increment of it exists.
import type { BackupRow, BlockStorageDb } from './tables.ts';

export async function getBackup(db: BlockStorageDb, id: string): Promise<BackupRow | undefined> {
  return db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The backup an incremental backup of `volumeId` builds on, as Cinder picks it: the available backup with the latest
 * data timestamp, among those whose location starts with `locationPrefix` (chunked backups of the store in use).
 */
export async function latestChainableBackup(db: BlockStorageDb, volumeId: string, locationPrefix: string, dataAsOf?: string): Promise<BackupRow | undefined> {
  let q = db.selectFrom('backups').selectAll().where('volume_id', '=', volumeId).where('status', '=', 'available').where('location', 'like', `${locationPrefix}%`);
  // An increment of a snapshot builds on the latest backup of data no newer than the snapshot (as Cinder chooses).
  if (dataAsOf !== undefined) q = q.where('data_timestamp', '<=', dataAsOf);
  return q.orderBy('data_timestamp', 'desc').orderBy('created_at', 'desc').limit(1).executeTakeFirst();
}

/** Which of `ids` have dependent (incremental) backups, whatever their status. */
export async function withDependents(db: BlockStorageDb, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('backups').select('parent_id').distinct().where('parent_id', 'in', ids).execute();
  return new Set(rows.map((r) => r.parent_id!));
}

/** Moves a backup between statuses conditionally; false when it was elsewhere. */
export async function moveBackup(db: BlockStorageDb, id: string, from: string, to: string): Promise<boolean> {
  const r = await db.updateTable('backups').set({ status: to, updated_at: new Date().toISOString() }).where('id', '=', id).where('status', '=', from).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Moves a backup without dependents to deleting, in one statement so no increment can slip in between; false otherwise. */
export async function startBackupDelete(db: BlockStorageDb, id: string, from: string): Promise<boolean> {
  const r = await db.updateTable('backups').set({ status: 'deleting', updated_at: new Date().toISOString() })
    .where('id', '=', id).where('status', '=', from)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('backups as child').select('child.id').whereRef('child.parent_id', '=', 'backups.id'))))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
