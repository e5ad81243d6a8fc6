// The conductor's block device endpoints: the agents read a server's mappings and record the volumes they made for
// it (boot from volume) through these, never touching the database themselves.
import type { RpcHandlers } from '#lib/bus/index.ts';
import { listAllBdms, setBdmVolume } from '../db/bdm-repo.ts';
import type { BlockDeviceMappingRow } from '../db/tables.ts';
import type { ConductorMethods } from '../rpc/conductor-rpc.ts';
import type { BlockDeviceRecord } from '../rpc/block-device.ts';
import type { ConductorDeps } from './conductor-deps.ts';

type BlockDeviceMethods = 'block_device_mappings' | 'block_device_set_volume';

export function toBlockDeviceRecord(b: BlockDeviceMappingRow): BlockDeviceRecord {
  return {
    id: b.id, sourceType: (b.source_type ?? 'volume') as BlockDeviceRecord['sourceType'], sourceId: b.source_id ?? null, volumeId: b.volume_id,
    attachmentId: b.attachment_id, bootIndex: b.boot_index ?? null, volumeSize: b.volume_size ?? null, deviceName: b.device_name,
    deleteOnTermination: Boolean(b.delete_on_termination), destinationType: b.destination_type === 'local' ? 'local' : 'volume', guestFormat: b.guest_format ?? null,
    volumeType: b.volume_type ?? null,
  };
}

export function blockDeviceHandlers(deps: ConductorDeps): Pick<RpcHandlers<ConductorMethods>, BlockDeviceMethods> {
  return {
    block_device_mappings: async (_ctx, a) => (await listAllBdms(deps.db, a.uuid)).map(toBlockDeviceRecord),
    block_device_set_volume: async (_ctx, a) => { await setBdmVolume(deps.db, a.id, { volumeId: a.volumeId, attachmentId: a.attachmentId }); },
  };
}
