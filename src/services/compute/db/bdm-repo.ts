// Volumes attached to servers. The unique keys make a volume attach to a server once and a device name unique per
// server, whatever races.
import type { BlockDeviceMappingRow, ComputeDb } from './tables.ts';

export async function listBdms(db: ComputeDb, instanceUuids: string[]): Promise<BlockDeviceMappingRow[]> {
  if (!instanceUuids.length) return [];
  return db.selectFrom('block_device_mappings').selectAll().where('instance_uuid', 'in', instanceUuids).orderBy('device_name').execute();
}

export async function getBdm(db: ComputeDb, instanceUuid: string, volumeId: string): Promise<BlockDeviceMappingRow | undefined> {
  return db.selectFrom('block_device_mappings').selectAll().where('instance_uuid', '=', instanceUuid).where('volume_id', '=', volumeId).executeTakeFirst();
}

export async function insertBdm(db: ComputeDb, row: BlockDeviceMappingRow): Promise<void> {
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
