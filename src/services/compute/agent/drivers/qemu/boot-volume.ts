// Boot from volume in the qemu driver: the volumes a guest gets at spawn (Block Storage's file volumes, the root one
// in place of an image overlay, so no image cache is involved), kept in guest.json with their boot index so that a
// power on, reboot or agent restart starts the guest from the same volume.
import { BadRequest } from '#lib/errors.ts';
import type { BlockDevice } from '../hypervisor-driver.ts';
import type { GuestRecord, PluggedVolume } from './guest-dir.ts';
import { fileVolume } from './volume-plug.ts';

/** The guest's volumes from the spawn's block devices; refuses (before anything is made) one it cannot attach. */
export function volumesAtSpawn(blockDevices: BlockDevice[]): PluggedVolume[] {
  const roots = blockDevices.filter((b) => b.bootIndex === 0);
  if (roots.length > 1) throw new BadRequest('More than one block device has boot index 0.');
  return blockDevices.map((b) => ({ ...fileVolume(b.volumeId, b.device, b.connectionInfo), bootIndex: b.bootIndex }));
}

/** The volume the guest boots from, if it boots from one. */
export function rootVolume(record: GuestRecord): PluggedVolume | undefined {
  return record.volumes.find((v) => v.bootIndex === 0);
}

/** Refuses an operation on the guest's local root disk when the guest has none (it boots from a volume). */
export function assertImageBacked(record: GuestRecord, what: string): void {
  if (!record.base || rootVolume(record)) {
    throw new BadRequest(`${what} of a volume-backed server is not supported by the qemu driver (its root disk is a Block Storage volume).`);
  }
}
