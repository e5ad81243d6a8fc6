// Resize for the qemu driver, Nova's libvirt way on one host: the source powers the guest off and renames its
// directory to `<uuid>_resize`; the destination builds the new guest directory from copies of those disks, the root
// disk grown to the new flavor; confirm removes `<uuid>_resize`, revert renames it back. Moving disks to another host
// needs a transfer this driver does not have, so such a resize is refused before the guest is touched.
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { BadRequest, Conflict } from '#lib/errors.ts';
import type { GuestSpec } from '../hypervisor-driver.ts';
import type { DiskTool } from './disks.ts';
import { guestPaths, readGuestRecord, writeGuestRecord } from './guest-dir.ts';
import type { GuestPaths } from './guest-dir.ts';
import type { GuestHost } from './guest-host.ts';
import { guestPid } from './guest-process.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export interface ResizeDeps {
  host: GuestHost;
  disks: DiskTool;
  instancesDir: string;
  /** This driver's host name: the only destination it can hand disks to. */
  hostName: string;
  powerOff(uuid: string): Promise<void>;
}

const exists = (path: string) => stat(path).then(() => true, () => false);

export function createResizeOps(d: ResizeDeps) {
  /** Where a guest's disks wait during a resize: `<instances>/<uuid>_resize/`, laid out as a guest directory. */
  const keptPaths = (uuid: string): GuestPaths => {
    const paths = guestPaths(d.instancesDir, uuid);
    return Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, v.replace(paths.dir, `${paths.dir}_resize`)])) as unknown as GuestPaths;
  };

  /** Starts the guest from its record, or leaves it off. */
  async function launchIf(spec: GuestSpec, powerOn: boolean): Promise<void> {
    if (!powerOn) return;
    const record = await readGuestRecord(d.host.paths(spec.uuid));
    if (record) await d.host.launch(record);
  }

  return {
    async migrateDiskAndPowerOff(uuid: string, destHost: string, rootGb: number): Promise<void> {
      if (destHost !== d.hostName) throw new Conflict(`The qemu driver resizes a guest on its own host only; moving its disks to ${destHost} is not supported.`);
      const paths = d.host.paths(uuid);
      const record = await readGuestRecord(paths);
      if (!record) throw new Conflict(`Instance ${uuid} could not be found on this hypervisor.`);
      if (rootGb && rootGb < record.spec.rootGb) throw new BadRequest('Unable to resize disk down.');
      await d.powerOff(uuid);
      await d.host.serialized(uuid, async () => {
        const kept = keptPaths(uuid);
        await rm(kept.dir, { recursive: true, force: true });
        await rename(paths.dir, kept.dir);
      });
    },

    finishMigration: (guest: GuestSpec, powerOn: boolean) => d.host.serialized(guest.uuid, async () => {
      const paths = d.host.paths(guest.uuid);
      const kept = keptPaths(guest.uuid);
      const old = await readGuestRecord(kept);
      if (!old) throw new Conflict(`The disks of instance ${guest.uuid} are not on this host.`);
      await rm(paths.dir, { recursive: true, force: true });
      await mkdir(paths.dir, { recursive: true, mode: 0o750 });
      try {
        await copyFile(kept.root, paths.root);
        if (guest.rootGb > old.spec.rootGb) await d.disks.grow(paths.root, guest.rootGb * GiB);
        if (old.hasEphemeral) await copyFile(kept.ephemeral, paths.ephemeral);
        else if (guest.ephemeralGb) await d.disks.createBlank(paths.ephemeral, guest.ephemeralGb * GiB);
        if (guest.swapMb) await d.disks.createBlank(paths.swap, guest.swapMb * MiB);
        if (old.hasConfigDrive) await copyFile(kept.configDrive, paths.configDrive);
        await writeGuestRecord(paths, { ...old, spec: guest, hasEphemeral: old.hasEphemeral || guest.ephemeralGb > 0, hasSwap: guest.swapMb > 0 });
        await launchIf(guest, powerOn);
      } catch (err) {
        await rm(paths.dir, { recursive: true, force: true });
        throw err;
      }
    }),

    confirmMigration: (uuid: string) => d.host.serialized(uuid, () => rm(keptPaths(uuid).dir, { recursive: true, force: true })),

    finishRevertMigration: (guest: GuestSpec, powerOn: boolean) => d.host.serialized(guest.uuid, async () => {
      const paths = d.host.paths(guest.uuid);
      const kept = keptPaths(guest.uuid);
      if (!await exists(kept.dir)) throw new Conflict(`The kept disks of instance ${guest.uuid} are not on this host.`);
      if (await guestPid(paths, guest.uuid)) throw new Conflict(`Instance ${guest.uuid} still runs its resized guest here.`);
      await rm(paths.dir, { recursive: true, force: true });
      await rename(kept.dir, paths.dir);
      const record = await readGuestRecord(paths);
      if (record) await writeGuestRecord(paths, { ...record, spec: guest });
      await launchIf(guest, powerOn);
    }),
  };
}
