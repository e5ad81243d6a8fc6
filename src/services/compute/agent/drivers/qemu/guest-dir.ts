// Where one guest lives on the host: `<instances>/<uuid>/` with its disks, sockets, logs and `guest.json` (the spec
// and plugged volumes), which is all a restarted agent needs to find, re-attach and restart the guest.
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GuestSpec } from '../hypervisor-driver.ts';

/** A volume plugged into a guest, as QEMU sees it: a file and its format. */
export interface PluggedVolume {
  volumeId: string;
  device: string;
  path: string;
  format: string;
  /** Boot from volume (boot-volume.ts): the volume's place in the boot order, 0 for the root disk; absent otherwise. */
  bootIndex?: number | null;
}

/** What guest.json holds. */
export interface GuestRecord {
  spec: GuestSpec;
  /** The image cache entry the root disk is an overlay on, and its format (null: no image). */
  base: { imageId: string; format: string } | null;
  /** The disks made at spawn, in boot order after the root disk. */
  hasEphemeral: boolean;
  hasSwap: boolean;
  hasConfigDrive: boolean;
  volumes: PluggedVolume[];
  /** Set while the guest is rescued: it boots `disk.rescue` (see rescue-disks.ts). */
  rescue?: RescueRecord;
}

/** A rescue in place: the image cache entry `disk.rescue` is an overlay on, and how the rescue guest is wired. */
export interface RescueRecord {
  imageId: string;
  format: string;
  /** Nova's stable device rescue: every original device stays and the rescue disk comes last (else: rescue, root only). */
  stableDevice: boolean;
  /** The rescue guest gets `disk.config.rescue` instead of its config drive. */
  hasConfigDrive: boolean;
}

export interface GuestPaths {
  dir: string;
  record: string;
  pidfile: string;
  qmp: string;
  vnc: string;
  serial: string;
  consoleLog: string;
  root: string;
  ephemeral: string;
  swap: string;
  configDrive: string;
  memoryState: string;
  /** What QEMU writes to stderr before it daemonizes, for the error of a failed start. */
  startLog: string;
  /** A rescue's boot disk and config drive (rescue-disks.ts). */
  rescue: string;
  rescueConfigDrive: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The paths of a guest's directory. Throws on a uuid that is not one (it becomes a path and a QEMU argument). */
export function guestPaths(instancesDir: string, uuid: string): GuestPaths {
  if (!UUID.test(uuid)) throw new Error(`'${uuid}' is not an instance uuid`);
  const dir = join(instancesDir, uuid);
  return {
    dir, record: join(dir, 'guest.json'), pidfile: join(dir, 'qemu.pid'), qmp: join(dir, 'qmp.sock'), vnc: join(dir, 'vnc.sock'),
    serial: join(dir, 'serial.sock'), consoleLog: join(dir, 'console.log'), root: join(dir, 'disk'), ephemeral: join(dir, 'disk.eph0'),
    swap: join(dir, 'disk.swap'), configDrive: join(dir, 'disk.config'), memoryState: join(dir, 'memory.state'), startLog: join(dir, 'qemu.log'),
    rescue: join(dir, 'disk.rescue'), rescueConfigDrive: join(dir, 'disk.config.rescue'),
  };
}

/** The longest unix socket path Linux accepts (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107;

export async function readGuestRecord(paths: GuestPaths): Promise<GuestRecord | undefined> {
  try {
    return JSON.parse(await readFile(paths.record, 'utf8')) as GuestRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Replaces guest.json atomically, so a crash never leaves half a record. */
export async function writeGuestRecord(paths: GuestPaths, record: GuestRecord): Promise<void> {
  await mkdir(paths.dir, { recursive: true });
  const tmp = `${paths.record}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(tmp, paths.record);
}

/** The uuids of the guests under `instancesDir` (directories holding a guest.json). */
export async function listGuestDirs(instancesDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(instancesDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: string[] = [];
  for (const name of names) {
    if (!UUID.test(name)) continue;
    if (await readGuestRecord(guestPaths(instancesDir, name)).catch(() => undefined)) found.push(name);
  }
  return found;
}
