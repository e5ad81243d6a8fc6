// Volumes attached to servers. The unique keys make a volume attach to a server once and a device name unique per
// server, whatever races.
import type { Insertable } from 'kysely';
import type { BlockDeviceMappingRow, ComputeDb } from './tables.ts';

/** A mapping whose volume exists and is reserved for the server (boot-time mappings not made yet are not). */
export type AttachedBdm = BlockDeviceMappingRow & { volume_id: string; attachment_id: string };

export async function listBdms(db: ComputeDb, instanceUuids: string[]): Promise<AttachedBdm[]> {
  if (!instanceUuids.length) return [];
  const rows = await db.selectFrom('block_device_mappings').selectAll().where('instance_uuid', 'in', instanceUuids)
    .where('volume_id', 'is not', null).where('attachment_id', 'is not', null).orderBy('device_name').execute();
  return rows as AttachedBdm[];
}

export async function getBdm(db: ComputeDb, instanceUuid: string, volumeId: string): Promise<AttachedBdm | undefined> {
  const row = await db.selectFrom('block_device_mappings').selectAll().where('instance_uuid', '=', instanceUuid).where('volume_id', '=', volumeId)
    .where('attachment_id', 'is not', null).executeTakeFirst();
  return row as AttachedBdm | undefined;
}

export async function insertBdm(db: ComputeDb, row: Insertable<BlockDeviceMappingRow>): Promise<void> {
  await db.insertInto('block_device_mappings').values(row).execute();
}

export async function deleteBdm(db: ComputeDb, instanceUuid: string, volumeId: string): Promise<void> {
  await db.deleteFrom('block_device_mappings').where('instance_uuid', '=', instanceUuid).where('volume_id', '=', volumeId).execute();
}

/** The first free /dev/vdX after the root disk (vda). */
export function nextDeviceName(taken: string[]): string {
  for (let c = 'b'.charCodeAt(0); c <= 'z'.charCodeAt(0); c += 1) {
    const name = `/dev/vd${String.fromCharCode(c)}`;
    if (!taken.includes(name)) return name;
  }
  throw new Error('no free device name');
}

/** Every mapping of a server, made or not, boot disk first (Nova's boot order, then the rest by device name). */
export async function listAllBdms(db: ComputeDb, instanceUuid: string): Promise<BlockDeviceMappingRow[]> {
  const rows = await db.selectFrom('block_device_mappings').selectAll().where('instance_uuid', '=', instanceUuid).orderBy('device_name').execute();
  const rank = (b: BlockDeviceMappingRow) => (b.boot_index === null || b.boot_index === undefined || b.boot_index < 0 ? Number.MAX_SAFE_INTEGER : b.boot_index);
  return rows.sort((a, b) => rank(a) - rank(b));
}

/** Records (or, with nulls, forgets) the volume and attachment an agent made for a boot-time mapping. */
export async function setBdmVolume(db: ComputeDb, id: string, patch: { volumeId: string | null; attachmentId: string | null }): Promise<void> {
  await db.updateTable('block_device_mappings').set({ volume_id: patch.volumeId, attachment_id: patch.attachmentId }).where('id', '=', id).execute();
}

/** Forgets every mapping of a server (its delete released what they held). */
export async function deleteAllBdms(db: ComputeDb, instanceUuid: string): Promise<void> {
  await db.deleteFrom('block_device_mappings').where('instance_uuid', '=', instanceUuid).execute();
}

/** 2.85: whether the attached volume goes with the server; false when no such attachment. */
export async function setDeleteOnTermination(db: ComputeDb, instanceUuid: string, volumeId: string, value: boolean): Promise<boolean> {
  const res = await db.updateTable('block_device_mappings').set({ delete_on_termination: value })
    .where('instance_uuid', '=', instanceUuid).where('volume_id', '=', volumeId).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
