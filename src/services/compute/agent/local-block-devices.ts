// Local blank disks mapped at create (block_device_mapping_v2 blank → local) take the place of the flavor's own
// ephemeral and swap disks in the guest the driver builds, as Nova's driver block info does: an ephemeral mapping
// gives its size (GiB) and file system, a swap mapping its size (MiB). Without such mappings the flavor's disks stay.
import type { BlockDeviceRecord } from '../rpc/block-device.ts';
import type { GuestSpec } from './drivers/hypervisor-driver.ts';

export function withLocalDisks(guest: GuestSpec, local: BlockDeviceRecord[]): GuestSpec {
  const ephemeral = local.find((m) => m.guestFormat !== 'swap');
  const swap = local.find((m) => m.guestFormat === 'swap');
  return {
    ...guest,
    ...(ephemeral ? { ephemeralGb: ephemeral.volumeSize ?? guest.ephemeralGb, ...(ephemeral.guestFormat ? { ephemeralFormat: ephemeral.guestFormat } : {}) } : {}),
    ...(swap ? { swapMb: swap.volumeSize ?? guest.swapMb } : {}),
  };
}
