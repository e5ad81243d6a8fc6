// Volume transfers: creating one parks the volume in awaiting-transfer; accepting moves it (and its snapshots) to the
// recipient's project within the recipient's quota, in one transaction.
import { checkQuota } from '../domain/quotas.ts';
import type { QuotaLimits } from '../domain/quotas.ts';
import type { BlockStorageDb, TransferRow } from './tables.ts';
import { getLimits, getUsage } from './quotas-repo.ts';

export async function getTransfer(db: BlockStorageDb, id: string): Promise<TransferRow | undefined> {
  return db.selectFrom('volume_transfers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listTransfers(db: BlockStorageDb, projectId: string | undefined): Promise<TransferRow[]> {
  let q = db.selectFrom('volume_transfers').selectAll();
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  return q.orderBy('created_at').execute();
}

/** Inserts the transfer if the volume is still available, and parks it; false (nothing changed) otherwise. */
export async function beginTransfer(db: BlockStorageDb, t: TransferRow): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const r = await tx.updateTable('volumes').set({ status: 'awaiting-transfer', updated_at: new Date().toISOString() })
      .where('id', '=', t.volume_id).where('status', '=', 'available').executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await tx.insertInto('volume_transfers').values(t).execute();
    return true;
  });
}

/** Removes the transfer and puts its volume back to available. */
export async function cancelTransfer(db: BlockStorageDb, t: TransferRow): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('volume_transfers').where('id', '=', t.id).execute();
    await tx.updateTable('volumes').set({ status: 'available', updated_at: new Date().toISOString() })
      .where('id', '=', t.volume_id).where('status', '=', 'awaiting-transfer').execute();
  });
}

/**
 * Gives the volume (and its snapshots) to `to`; throws OverQuota and changes nothing when the recipient's quota
 * cannot take them. Returns false when the transfer was accepted or cancelled concurrently.
 */
export async function acceptTransfer(db: BlockStorageDb, t: TransferRow, to: { projectId: string; userId: string }, defaults: QuotaLimits): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const gone = await tx.deleteFrom('volume_transfers').where('id', '=', t.id).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) return false;
    const now = new Date().toISOString();
    await tx.updateTable('volumes').set({ project_id: to.projectId, user_id: to.userId, status: 'available', updated_at: now })
      .where('id', '=', t.volume_id).where('status', '=', 'awaiting-transfer').execute();
    const snaps = await tx.updateTable('snapshots').set({ project_id: to.projectId, user_id: to.userId, updated_at: now })
      .where('volume_id', '=', t.volume_id).executeTakeFirst();
    const vol = await tx.selectFrom('volumes').select('size').where('id', '=', t.volume_id).executeTakeFirstOrThrow();
    checkQuota(await getLimits(tx, to.projectId, defaults), await getUsage(tx, to.projectId),
      { volumes: 1, gigabytes: Number(vol.size), snapshots: Number(snaps.numUpdatedRows) });
    return true;
  });
}
