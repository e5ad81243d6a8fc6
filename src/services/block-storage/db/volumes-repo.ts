// Volumes in the block-storage database. Status changes are conditional updates, so racing requests cannot both win.
import type { Volume } from '../domain/models.ts';
import type { BlockStorageDb, VolumeRow } from './tables.ts';

export function toVolume(row: VolumeRow): Volume {
  return {
    id: row.id, migrationStatus: row.migration_status ?? null, projectId: row.project_id, userId: row.user_id, name: row.name, description: row.description, size: Number(row.size),
    status: row.status, attachStatus: row.attach_status === 'attached' ? 'attached' : 'detached', host: row.host,
    availabilityZone: row.availability_zone, volumeTypeId: row.volume_type_id, snapshotId: row.snapshot_id, sourceVolid: row.source_volid, backupId: row.backup_id,
    imageMetadata: row.image_metadata ? JSON.parse(row.image_metadata) as Record<string, string> : null,
    bootable: Boolean(row.bootable), readOnly: Boolean(row.read_only), multiattach: Boolean(row.multiattach),
    providerLocation: row.provider_location, format: row.format, createdAt: row.created_at, updatedAt: row.updated_at, launchedAt: row.launched_at,
  };
}

export async function getVolume(db: BlockStorageDb, id: string): Promise<Volume | undefined> {
  const row = await db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toVolume(row) : undefined;
}

export function volumeRow(v: Volume): VolumeRow {
  return {
    id: v.id, project_id: v.projectId, user_id: v.userId, name: v.name, description: v.description, size: v.size, status: v.status,
    attach_status: v.attachStatus, host: v.host, availability_zone: v.availabilityZone, volume_type_id: v.volumeTypeId,
    snapshot_id: v.snapshotId, source_volid: v.sourceVolid, backup_id: v.backupId, image_metadata: v.imageMetadata ? JSON.stringify(v.imageMetadata) : null, bootable: v.bootable, read_only: v.readOnly, multiattach: v.multiattach,
    provider_location: v.providerLocation, format: v.format, created_at: v.createdAt, updated_at: v.updatedAt, launched_at: v.launchedAt,
  };
}

export type VolumeChanges = Partial<Omit<VolumeRow, 'id' | 'project_id' | 'user_id' | 'created_at'>>;

/**
 * Applies `changes` only when the volume's status is one of `from` (any status when `from` is undefined).
 * Returns whether it did: false means the volume is gone or in another status.
 */
export async function updateVolume(db: BlockStorageDb, id: string, changes: VolumeChanges, from?: readonly string[]): Promise<boolean> {
  let q = db.updateTable('volumes').set({ ...changes, updated_at: new Date().toISOString() }).where('id', '=', id);
  if (from) q = q.where('status', 'in', [...from]);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Deletes the volume's row with its metadata and attachments; snapshots must be gone first. */
export async function deleteVolumeRow(db: BlockStorageDb, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('volume_metadata').where('owner_id', '=', id).execute();
    await tx.deleteFrom('volume_attachments').where('volume_id', '=', id).execute();
    await tx.deleteFrom('volume_transfers').where('volume_id', '=', id).execute();
    await tx.deleteFrom('volumes').where('id', '=', id).execute();
  });
}

export async function countSnapshotsOf(db: BlockStorageDb, volumeId: string): Promise<number> {
  const r = await db.selectFrom('snapshots').select((eb) => eb.fn.countAll<number>().as('n')).where('volume_id', '=', volumeId).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function volumesInStatuses(db: BlockStorageDb, host: string, statuses: string[]): Promise<Volume[]> {
  const rows = await db.selectFrom('volumes').selectAll().where('host', '=', host).where('status', 'in', statuses).execute();
  return rows.map(toVolume);
}

/** Volumes in `status` that no scheduler ever placed (their create was lost with a stopped process). */
export async function unscheduledVolumes(db: BlockStorageDb, status: string, before: string): Promise<Volume[]> {
  const rows = await db.selectFrom('volumes').selectAll().where('host', 'is', null).where('status', '=', status)
    .where('updated_at', '<', before).execute();
  return rows.map(toVolume);
}
