// Local blank disks in block_device_mapping_v2 (source blank → destination local; the CLI's --ephemeral and --swap):
// checked as Nova's _validate_bdm checks them against the flavor — their sizes fit in the flavor's ephemeral (GiB)
// and swap (MiB), one swap at most. They then take the place of the flavor's own ephemeral and swap disks (Nova's
// _get_flavor_defined_bdms adds those only when none is asked for), so the server's claim stays the flavor's.
// Stratus's drivers make one ephemeral disk: a second one is refused — which also keeps a server within Nova's
// default max_local_block_devices (3: root, ephemeral, swap).
import { BadRequest } from '#lib/errors.ts';
import type { Flavor } from '../domain/flavor.ts';

/** The file systems an ephemeral disk can be made with (mkfs of the host); `swap` makes a swap disk. */
export const EPHEMERAL_FORMATS = ['ext2', 'ext3', 'ext4'];

/** What a local blank mapping needs for these checks: its guest_format and volume_size (GiB, MiB for swap). */
export interface LocalDiskItem {
  guestFormat: string | null;
  volumeSize: number | null;
}

const invalid = (why: string) => new BadRequest(`Block Device Mapping is Invalid: ${why}`);
export const isSwap = (m: LocalDiskItem): boolean => m.guestFormat === 'swap';

/**
 * Checks the local blank disks of a request against `flavor`, filling in each one's size (the flavor's when none was
 * given, as Nova does). Throws Nova's 400s.
 */
export function checkLocalDisks(disks: LocalDiskItem[], flavor: Flavor): void {
  if (!disks.length) return;
  for (const d of disks) {
    if (d.guestFormat !== null && !isSwap(d) && !EPHEMERAL_FORMATS.includes(d.guestFormat)) {
      throw invalid(`guest_format ${d.guestFormat} is not supported for a local disk (swap, ${EPHEMERAL_FORMATS.join(', ')}).`);
    }
  }
  const ephemerals = disks.filter((d) => !isSwap(d));
  for (const d of ephemerals) d.volumeSize ??= flavor.ephemeral;
  const ephemeralGb = ephemerals.reduce((sum, d) => sum + (d.volumeSize ?? 0), 0);
  if (ephemeralGb > flavor.ephemeral || ephemerals.some((d) => !d.volumeSize)) {
    throw new BadRequest('Ephemeral disks requested are larger than the instance type allows. If no size is given in one block device mapping, flavor ephemeral size will be used.');
  }
  if (ephemerals.length > 1) throw invalid('Stratus makes one ephemeral disk per server; ask for one (its size up to the flavor\'s ephemeral disk).');
  const swaps = disks.filter(isSwap);
  if (swaps.length > 1) throw invalid('More than one swap drive requested.');
  if (swaps.length) {
    const swap = swaps[0];
    swap.volumeSize ??= flavor.swap;
    if (swap.volumeSize > flavor.swap) throw new BadRequest('Swap drive requested is larger than instance type allows.');
    if (swap.volumeSize <= 0) throw invalid('a swap disk needs a size in MiB (the flavor has no swap).');
  }
}
