// Rescue for the qemu driver, Nova's libvirt way: the guest is powered off, a fresh qcow2 overlay `disk.rescue` is
// made on the rescue image (from the image cache) and the guest boots it first with its own `disk` second — or, when
// the image sets hw_rescue_device and hw_rescue_bus (stable device rescue), with every original device and the rescue
// disk last. guest.json's `rescue` entry makes every later start (agent restart, power on) the rescue guest again,
// until unrescue stops it, removes the rescue files and boots the guest's own disk.
import { rm } from 'node:fs/promises';
import { BadRequest, NotFound } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { ConfigDriveFiles, RescueImage } from '../hypervisor-driver.ts';
import { writeConfigDrive } from './config-drive.ts';
import type { DiskTool } from './disks.ts';
import { readGuestRecord, writeGuestRecord } from './guest-dir.ts';
import type { GuestPaths, GuestRecord } from './guest-dir.ts';
import type { GuestHost } from './guest-host.ts';
import { guestPid, killGuest, waitGone } from './guest-process.ts';
import type { ImageCache } from './image-cache.ts';

export interface RescueDeps {
  host: GuestHost;
  disks: DiskTool;
  cache: ImageCache;
  /** Powers the guest off (ACPI first, as Nova's clean shutdown); takes the guest's lock itself. */
  powerOff(uuid: string): Promise<void>;
  log: Logger;
}

/**
 * Whether the rescue image asks for a stable device rescue (both properties set, as Nova requires) — refused, before
 * the guest is touched, unless it is a virtio disk, the one rescue device this driver attaches.
 */
export function stableDeviceRescue(properties: Record<string, unknown>): boolean {
  const device = properties.hw_rescue_device;
  const bus = properties.hw_rescue_bus;
  if (device === undefined || bus === undefined) return false;
  if (device !== 'disk' || bus !== 'virtio') {
    throw new BadRequest(`The qemu driver attaches a rescue image as a virtio disk only, not hw_rescue_device=${String(device)} on hw_rescue_bus=${String(bus)}.`);
  }
  return true;
}

async function removeRescueFiles(paths: GuestPaths): Promise<void> {
  await rm(paths.rescue, { force: true });
  await rm(paths.rescueConfigDrive, { force: true });
}

/** The guest's record without its rescue (JSON drops the undefined entry). */
const unrescued = (r: GuestRecord): GuestRecord => ({ ...r, rescue: undefined });

export function createRescueOps(d: RescueDeps) {
  /** Stops QEMU with `quit` (its disk caches flushed), SIGKILL if it lingers; nothing when it does not run. */
  async function stopQemu(uuid: string): Promise<void> {
    const paths = d.host.paths(uuid);
    if (!await guestPid(paths, uuid)) return;
    await d.host.withQmp(uuid, (q) => q.execute('quit')).catch(() => undefined);
    if (!await waitGone(paths, uuid, 10_000)) await killGuest(paths, uuid);
    await rm(paths.pidfile, { force: true });
  }

  async function record(uuid: string): Promise<GuestRecord> {
    const r = await readGuestRecord(d.host.paths(uuid));
    if (!r) throw new NotFound(`Instance ${uuid} could not be found on this hypervisor.`);
    return r;
  }

  return {
    /** Boots the guest from a fresh disk of `image`; a rescued guest gets a fresh rescue. Leaves no rescue file on failure. */
    async rescue(uuid: string, image: RescueImage, configDrive?: ConfigDriveFiles): Promise<void> {
      await record(uuid);
      const stableDevice = stableDeviceRescue(image.properties);
      await d.powerOff(uuid);
      await d.host.serialized(uuid, async () => {
        const paths = d.host.paths(uuid);
        const own = unrescued(await record(uuid));
        await stopQemu(uuid);
        await removeRescueFiles(paths);
        try {
          const base = await d.cache.fetch(image);
          // The rescue disk keeps the image's own size: the flavor sizes the server's disk, not the rescue tool.
          await d.disks.createOverlay(paths.rescue, base);
          if (configDrive) await writeConfigDrive(paths.rescueConfigDrive, configDrive, { log: d.log });
          const rescued: GuestRecord = { ...own, rescue: { imageId: image.id, format: base.format, stableDevice, hasConfigDrive: configDrive !== undefined } };
          await writeGuestRecord(paths, rescued);
          await d.host.launch(rescued);
          d.log.info({ instance: uuid, image: image.id, stableDevice }, 'guest rescued');
        } catch (err) {
          await killGuest(paths, uuid).catch(() => undefined);
          await writeGuestRecord(paths, own);
          await removeRescueFiles(paths);
          throw err;
        }
      });
    },

    /** Stops the rescue guest and boots the guest's own disk; a guest not rescued is only started if it is off. */
    unrescue: (uuid: string) => d.host.serialized(uuid, async () => {
      const paths = d.host.paths(uuid);
      const r = await record(uuid);
      if (r.rescue) {
        await stopQemu(uuid);
        // The record first: a crash from here on leaves at worst a stray rescue file, never a guest booting it.
        await writeGuestRecord(paths, unrescued(r));
        await removeRescueFiles(paths);
      }
      if (!await guestPid(paths, uuid)) await d.host.launch(unrescued(r));
      d.log.info({ instance: uuid }, 'guest unrescued');
    }),
  };
}
