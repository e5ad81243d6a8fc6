// Quota limits (per-project rows over configured defaults), usage counted from the volumes and snapshots themselves,
// and the writes that consume quota: each inserts, recounts and checks inside one transaction, so an over-quota
// request rolls back and leaves nothing behind.
import type { Transaction } from 'kysely';
import { QUOTA_RESOURCES, checkQuota } from '../domain/quotas.ts';
import type { QuotaLimits, QuotaResource, Usage } from '../domain/quotas.ts';
import type { Snapshot, Volume } from '../domain/models.ts';
import type { BackupRow, BlockStorageDb, BlockStorageTables } from './tables.ts';
import { volumeRow } from './volumes-repo.ts';
import { snapshotRow } from './snapshots-repo.ts';

type Db = BlockStorageDb | Transaction<BlockStorageTables>;

export async function getLimits(db: Db, projectId: string, defaults: QuotaLimits): Promise<QuotaLimits> {
  const rows = await db.selectFrom('quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).execute();
  const limits = { ...defaults };
  for (const r of rows) if ((QUOTA_RESOURCES as readonly string[]).includes(r.resource)) limits[r.resource as QuotaResource] = Number(r.hard_limit);
  return limits;
}

export async function setLimits(db: BlockStorageDb, projectId: string, limits: Partial<QuotaLimits>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const [resource, hard_limit] of Object.entries(limits)) {
      const r = await tx.updateTable('quotas').set({ hard_limit }).where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) await tx.insertInto('quotas').values({ project_id: projectId, resource, hard_limit }).execute();
    }
  });
}

export async function deleteLimits(db: BlockStorageDb, projectId: string): Promise<void> {
  await db.deleteFrom('quotas').where('project_id', '=', projectId).execute();
}

export async function getUsage(db: Db, projectId: string): Promise<Usage> {
  const v = await db.selectFrom('volumes').where('project_id', '=', projectId).where('status', '!=', 'deleted')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('gb')]).executeTakeFirstOrThrow();
  const s = await db.selectFrom('snapshots').where('project_id', '=', projectId)
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('gb')]).executeTakeFirstOrThrow();
  const b = await db.selectFrom('backups').where('project_id', '=', projectId)
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('gb')]).executeTakeFirstOrThrow();
  return {
    volumes: Number(v.n), snapshots: Number(s.n), gigabytes: Number(v.gb ?? 0) + Number(s.gb ?? 0), backups: Number(b.n), backup_gigabytes: Number(b.gb ?? 0),
  };
}

/**
 * Re-checks a project's quota after a commit (count, create, re-check): on servers whose transactions do not see each
 * other's uncommitted rows, two racing creates both pass the in-transaction check, and then both see both here. The
 * loser's `undo` removes what it created; refusing both is the safe side of the race.
 */
async function recheckAfterCommit(db: BlockStorageDb, projectId: string, defaults: QuotaLimits, delta: Partial<Usage>, undo: () => Promise<void>): Promise<void> {
  try {
    checkQuota(await getLimits(db, projectId, defaults), await getUsage(db, projectId), delta);
  } catch (err) {
    await undo();
    throw err;
  }
}

/** Inserts a volume (and its metadata) if the project's quota allows it; else throws OverQuota and inserts nothing. */
export async function insertVolumeWithinQuota(db: BlockStorageDb, volume: Volume, metadata: Record<string, string>, defaults: QuotaLimits): Promise<void> {
  const delta = { volumes: 1, gigabytes: volume.size };
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('volumes').values(volumeRow(volume)).execute();
    for (const [key, value] of Object.entries(metadata)) await tx.insertInto('volume_metadata').values({ owner_id: volume.id, key, value }).execute();
    checkQuota(await getLimits(tx, volume.projectId, defaults), await getUsage(tx, volume.projectId), delta);
  });
  await recheckAfterCommit(db, volume.projectId, defaults, delta, async () => {
    await db.deleteFrom('volume_metadata').where('owner_id', '=', volume.id).execute();
    await db.deleteFrom('volumes').where('id', '=', volume.id).where('status', '=', 'creating').execute();
  });
}

/**
 * Inserts a snapshot if the quota allows it and its volume is still in one of `volumeStatuses` (checked in the same
 * transaction, so a concurrent delete cannot slip between); returns false, inserting nothing, when it is not.
 */
export async function insertSnapshotWithinQuota(db: BlockStorageDb, snapshot: Snapshot, metadata: Record<string, string>, defaults: QuotaLimits,
  volumeStatuses: readonly string[]): Promise<boolean> {
  const inserted = await db.transaction().execute(async (tx) => {
    const held = await tx.updateTable('volumes').set({ updated_at: new Date().toISOString() }).where('id', '=', snapshot.volumeId)
      .where('status', 'in', [...volumeStatuses]).executeTakeFirst();
    if (Number(held.numUpdatedRows) === 0) return false;
    await tx.insertInto('snapshots').values(snapshotRow(snapshot)).execute();
    for (const [key, value] of Object.entries(metadata)) await tx.insertInto('snapshot_metadata').values({ owner_id: snapshot.id, key, value }).execute();
    checkQuota(await getLimits(tx, snapshot.projectId, defaults), await getUsage(tx, snapshot.projectId), { snapshots: 1, gigabytes: snapshot.size });
    return true;
  });
  if (inserted) {
    await recheckAfterCommit(db, snapshot.projectId, defaults, { snapshots: 1, gigabytes: snapshot.size }, async () => {
      await db.deleteFrom('snapshot_metadata').where('owner_id', '=', snapshot.id).execute();
      await db.deleteFrom('snapshots').where('id', '=', snapshot.id).where('status', '=', 'creating').execute();
    });
  }
  return inserted;
}

/**
 * Inserts a backup and moves its volume from `volumeStatus` to backing-up, if the backup quota allows it; false
 * (nothing changed) when the volume left that status meanwhile.
 */
export async function insertBackupWithinQuota(db: BlockStorageDb, backup: BackupRow, volumeStatus: string, defaults: QuotaLimits): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    // A backup of a snapshot holds the snapshot (backing-up) and leaves the volume as it is, as Cinder does.
    const held = backup.snapshot_id
      ? await tx.updateTable('snapshots').set({ status: 'backing-up', updated_at: backup.created_at }).where('id', '=', backup.snapshot_id)
        .where('volume_id', '=', backup.volume_id).where('status', '=', 'available').executeTakeFirst()
      : await tx.updateTable('volumes').set({ status: 'backing-up', updated_at: backup.created_at }).where('id', '=', backup.volume_id)
        .where('status', '=', volumeStatus).executeTakeFirst();
    if (Number(held.numUpdatedRows) === 0) return false;
    await tx.insertInto('backups').values(backup).execute();
    checkQuota(await getLimits(tx, backup.project_id, defaults), await getUsage(tx, backup.project_id), { backups: 1, backup_gigabytes: backup.size });
    return true;
  });
}

/**
 * Moves a volume from one of `from` to `extending` with its new size, if the quota allows the extra gigabytes.
 * Returns false (nothing changed) when the volume is in another status.
 */
export async function beginExtendWithinQuota(db: BlockStorageDb, volume: Volume, newSize: number, from: readonly string[], defaults: QuotaLimits): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const r = await tx.updateTable('volumes').set({ status: 'extending', size: newSize, updated_at: new Date().toISOString() })
      .where('id', '=', volume.id).where('status', 'in', [...from]).where('size', '=', volume.size).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    checkQuota(await getLimits(tx, volume.projectId, defaults), await getUsage(tx, volume.projectId), { gigabytes: newSize - volume.size });
    return true;
  });
}
