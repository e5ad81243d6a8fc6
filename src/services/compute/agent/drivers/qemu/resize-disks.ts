// Resize and cold migration for the qemu driver, Nova's libvirt way: the source powers the guest off and renames its
// directory to `<uuid>_resize`; the destination builds the new guest directory from those disks, the root disk grown
// to the new flavor; confirm removes `<uuid>_resize`, revert renames it back. On one host the destination copies the
// kept disks; on another it pulls them from the source's one-time offer (disk-transfer.ts) and rebases the root
// overlay onto its own cached copy of the same image.
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { BadRequest, Conflict } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { DiskOffer, GuestSpec, ImageSource } from '../hypervisor-driver.ts';
import { checkImageBytes } from './disks.ts';
import type { DiskTool } from './disks.ts';
import type { DiskOfferServer } from './disk-transfer.ts';
import { pullDisks } from './disk-transfer.ts';
import { guestPaths, readGuestRecord, writeGuestRecord } from './guest-dir.ts';
import type { GuestPaths, GuestRecord } from './guest-dir.ts';
import type { GuestHost } from './guest-host.ts';
import type { ImageCache } from './image-cache.ts';
import { guestPid } from './guest-process.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** The files a guest directory hands to another host; the swap disk is made anew, logs and sockets stay. */
const MOVED_FILES = ['disk', 'disk.eph0', 'disk.config'] as const;

export interface ResizeDeps {
  host: GuestHost;
  disks: DiskTool;
  cache: ImageCache;
  offers: DiskOfferServer;
  instancesDir: string;
  /** This driver's host name: a destination by another name pulls the disks from an offer. */
  hostName: string;
  /** How long the destination has to start pulling an offered guest's disks. */
  offerTtlMs: number;
  powerOff(uuid: string): Promise<void>;
  log: Logger;
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/** What the new guest directory takes over from the old guest: its disks' layout, before the new flavor's spec. */
type Inherited = { was: Omit<GuestRecord, 'spec' | 'hasSwap'>; oldRootGb: number };

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

  /** The rest of a resized guest once its root disk (and any ephemeral disk and config drive) are in place. */
  async function complete(guest: GuestSpec, paths: GuestPaths, { was, oldRootGb }: Inherited, powerOn: boolean): Promise<void> {
    if (guest.rootGb > oldRootGb) await d.disks.grow(paths.root, guest.rootGb * GiB);
    if (!was.hasEphemeral && guest.ephemeralGb) await d.disks.createBlank(paths.ephemeral, guest.ephemeralGb * GiB);
    if (guest.swapMb) await d.disks.createBlank(paths.swap, guest.swapMb * MiB);
    await writeGuestRecord(paths, { ...was, spec: guest, hasEphemeral: was.hasEphemeral || guest.ephemeralGb > 0, hasSwap: guest.swapMb > 0 });
    await launchIf(guest, powerOn);
  }

  /** Same host: copies of the kept disks. */
  async function fromKept(guest: GuestSpec, paths: GuestPaths): Promise<Inherited> {
    const kept = keptPaths(guest.uuid);
    const old = await readGuestRecord(kept);
    if (!old) throw new Conflict(`The disks of instance ${guest.uuid} are not on this host.`);
    await copyFile(kept.root, paths.root);
    if (old.hasEphemeral) await copyFile(kept.ephemeral, paths.ephemeral);
    if (old.hasConfigDrive) await copyFile(kept.configDrive, paths.configDrive);
    return { was: old, oldRootGb: old.spec.rootGb };
  }

  /** Another host: the disks pulled from its offer, the root overlay rebased onto this host's copy of its image. */
  async function fromOffer(guest: GuestSpec, paths: GuestPaths, offer: DiskOffer, image: ImageSource | undefined): Promise<Inherited> {
    if (!guest.image || !image || image.id !== guest.image.id) throw new Conflict(`Instance ${guest.uuid}'s image is needed to take its disks over from another host.`);
    if (!offer.files.some((f) => f.name === 'disk')) throw new Conflict(`The source host offered no root disk for instance ${guest.uuid}.`);
    // The base first: a missing image fails before any transfer.
    const base = await d.cache.fetch(image);
    const pulled = await pullDisks(offer, paths.dir, { allowed: MOVED_FILES, log: d.log });
    await d.disks.rebase(paths.root, base);
    // What another host wrote is checked as an upload would be: no backing file in the ephemeral disk, no container as the config drive.
    if (pulled.includes('disk.eph0')) await checkImageBytes(paths.ephemeral, 'qcow2');
    if (pulled.includes('disk.config')) await checkImageBytes(paths.configDrive, 'raw');
    d.log.info({ instance: guest.uuid, files: pulled }, 'disks taken over from another host');
    return {
      was: { base: { imageId: image.id, format: base.format }, hasEphemeral: pulled.includes('disk.eph0'), hasConfigDrive: pulled.includes('disk.config'), volumes: [] },
      // The flavor the disks were made for is not known here: the root disk is grown to the flavor's size, which
      // qemu-img does as a no-op when it already has it (the source refused a smaller one).
      oldRootGb: 0,
    };
  }

  return {
    async migrateDiskAndPowerOff(uuid: string, destHost: string, rootGb: number): Promise<DiskOffer | void> {
      const paths = d.host.paths(uuid);
      const record = await readGuestRecord(paths);
      if (!record) throw new Conflict(`Instance ${uuid} could not be found on this hypervisor.`);
      if (rootGb && rootGb < record.spec.rootGb) throw new BadRequest('Unable to resize disk down.');
      const away = destHost !== d.hostName;
      // A volume's connection belongs to this host; moving it along is not built.
      if (away && record.volumes.length) throw new Conflict(`Instance ${uuid} has volumes attached; the qemu driver moves only guests without volumes to another host.`);
      if (away && record.rescue) throw new Conflict(`Instance ${uuid} is rescued.`);
      await d.powerOff(uuid);
      const kept = keptPaths(uuid);
      await d.host.serialized(uuid, async () => {
        await rm(kept.dir, { recursive: true, force: true });
        await rename(paths.dir, kept.dir);
      });
      if (!away) return;
      try {
        const files = [{ name: 'disk', path: kept.root }];
        if (record.hasEphemeral) files.push({ name: 'disk.eph0', path: kept.ephemeral });
        if (record.hasConfigDrive) files.push({ name: 'disk.config', path: kept.configDrive });
        return await d.offers.offer(uuid, files, d.offerTtlMs);
      } catch (err) {
        // No offer, no move: the guest's directory goes back where it was (powered off).
        await d.host.serialized(uuid, () => rename(kept.dir, paths.dir)).catch(() => undefined);
        throw err;
      }
    },

    finishMigration: (guest: GuestSpec, powerOn: boolean, from: { offer?: DiskOffer; image?: ImageSource } = {}) => d.host.serialized(guest.uuid, async () => {
      const paths = d.host.paths(guest.uuid);
      if (from.offer && await guestPid(paths, guest.uuid)) throw new Conflict(`Instance ${guest.uuid} already runs on this host.`);
      await rm(paths.dir, { recursive: true, force: true });
      await mkdir(paths.dir, { recursive: true, mode: 0o750 });
      try {
        await complete(guest, paths, from.offer ? await fromOffer(guest, paths, from.offer, from.image) : await fromKept(guest, paths), powerOn);
      } catch (err) {
        await rm(paths.dir, { recursive: true, force: true });
        throw err;
      }
    }),

    confirmMigration: (uuid: string) => d.host.serialized(uuid, async () => {
      await d.offers.revoke(uuid);
      await rm(keptPaths(uuid).dir, { recursive: true, force: true });
    }),

    finishRevertMigration: (guest: GuestSpec, powerOn: boolean) => d.host.serialized(guest.uuid, async () => {
      await d.offers.revoke(guest.uuid);
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
