// The qemu hypervisor driver: one daemonized qemu-system-x86_64 per guest, driven through QMP on a unix socket, no
// libvirt. Guests live in `<instances>/<uuid>/` and outlive the agent; a new driver over the same directory finds them
// from their guest.json and pidfile. KVM when a probe guest boots under it, TCG otherwise.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, mkdir, rm, statfs } from 'node:fs/promises';
import { availableParallelism, networkInterfaces, totalmem } from 'node:os';
import { join } from 'node:path';
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { HypervisorDriver, NodeCapacity } from '../hypervisor-driver.ts';
import { chooseAccel } from './accel-probe.ts';
import type { Accel } from './qemu-command.ts';
import { createDiskTool } from './disks.ts';
import { createImageCache } from './image-cache.ts';
import { writeConfigDrive } from './config-drive.ts';
import { listGuestDirs, MAX_SOCKET_PATH, readGuestRecord, writeGuestRecord } from './guest-dir.ts';
import type { GuestRecord } from './guest-dir.ts';
import { createGuestHost } from './guest-host.ts';
import { guestPid, killGuest } from './guest-process.ts';
import { createPowerOps } from './power-ops.ts';
import { createVolumePlug } from './volume-plug.ts';
import { createNicPlug } from './nic-plug.ts';
import { createResizeOps } from './resize-disks.ts';
import { createDiskOfferServer } from './disk-transfer.ts';
import { assertImageBacked, volumesAtSpawn } from './boot-volume.ts';
import { createEphemeralDisk, createSwapDisk } from './local-disks.ts';
import { createRescueOps } from './rescue-disks.ts';
import { guestStats } from './guest-stats.ts';
import { watchGuestExits } from './lifecycle-watch.ts';

export interface QemuDriverOptions {
  /** The node's name (Nova's hypervisor_hostname). */
  nodeName: string;
  /** The address other hosts reach this one at; default: the first non-loopback IPv4. */
  hostIp?: string;
  /** Where guests live (`<data dir>/instances` by default) and the image cache under `_base/`. */
  instancesDir: string;
  binary?: string;
  qemuImg?: string;
  accel: 'auto' | Accel;
  /** How long a cached base image stays without any instance using it. */
  imageCacheUnusedSeconds: number;
  /** How long powerOff and soft reboot wait for an ACPI shutdown before forcing it. */
  softShutdownTimeoutSeconds: number;
  /** How long spawn waits for the network agent's tap devices (default 60 s). */
  tapWaitMs?: number;
  /** How long detaching a volume waits for the guest to release it (default 30 s). */
  detachTimeoutMs?: number;
  /** How long a guest's disks stay on offer to another host after the source powered it off (default 10 min). */
  diskOfferTtlMs?: number;
  log: Logger;
}

export interface QemuDriver extends HypervisorDriver {
  /** The accelerator guests run under (probed once). */
  accel(): Promise<Accel>;
  /** Removes cached images no instance has used for the unused period; returns their ids. */
  pruneImageCache(): Promise<string[]>;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Nova's encoding of a hypervisor version: major * 1,000,000 + minor * 1,000 + patch. */
export function encodeVersion(versionText: string): number {
  const m = /version (\d+)\.(\d+)(?:\.(\d+))?/.exec(versionText);
  if (!m) throw new Error(`cannot read a version in '${versionText.split('\n')[0]}'`);
  return Number(m[1]) * 1_000_000 + Number(m[2]) * 1000 + Number(m[3] ?? 0);
}

function defaultHostIp(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    const v4 = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return '127.0.0.1';
}

export function createQemuDriver(opts: QemuDriverOptions): QemuDriver {
  const binary = opts.binary ?? 'qemu-system-x86_64';
  const log = opts.log.child({ driver: 'qemu' });
  // The longest socket path a guest gets must fit a unix socket address.
  const longest = join(opts.instancesDir, '00000000-0000-0000-0000-000000000000', 'serial.sock');
  if (Buffer.byteLength(longest) > MAX_SOCKET_PATH) {
    throw new Error(`instances_path '${opts.instancesDir}' is too long: guest sockets under it would exceed ${MAX_SOCKET_PATH} bytes`);
  }
  const accel = chooseAccel(opts.accel, { binary, log });
  accel.catch(() => undefined);
  const host = createGuestHost({ instancesDir: opts.instancesDir, binary, accel: () => accel, tapWaitMs: opts.tapWaitMs ?? 60_000, log });
  const power = createPowerOps(host);
  const volumes = createVolumePlug(host, { detachTimeoutMs: opts.detachTimeoutMs ?? 30_000 });
  const nics = createNicPlug(host, { tapWaitMs: opts.tapWaitMs ?? 60_000, detachTimeoutMs: opts.detachTimeoutMs ?? 30_000 });
  const disks = createDiskTool({ log, binary: opts.qemuImg });
  const cache = createImageCache({ dir: join(opts.instancesDir, '_base'), disks, unusedSeconds: opts.imageCacheUnusedSeconds, log });
  const softTimeoutMs = opts.softShutdownTimeoutSeconds * 1000;
  // Disks handed to another host are offered at this host's address (resize-disks.ts, disk-transfer.ts).
  const offers = createDiskOfferServer({ hostIp: () => opts.hostIp || defaultHostIp(), log });
  const resize = createResizeOps({
    host, disks, cache, offers, instancesDir: opts.instancesDir, hostName: opts.nodeName, offerTtlMs: opts.diskOfferTtlMs ?? 600_000,
    powerOff: (uuid) => power.powerOff(uuid, softTimeoutMs), log,
  });
  const rescues = createRescueOps({ host, disks, cache, powerOff: (uuid) => power.powerOff(uuid, softTimeoutMs), log });
  let version: Promise<number> | undefined;

  async function pruneImageCache(): Promise<string[]> {
    const inUse = new Set<string>();
    for (const uuid of await listGuestDirs(opts.instancesDir)) {
      const r = await readGuestRecord(host.paths(uuid)).catch(() => undefined);
      if (r?.base) inUse.add(r.base.imageId);
      if (r?.rescue) inUse.add(r.rescue.imageId);
    }
    return cache.prune(inUse);
  }
  const pruneTimer = setInterval(() => { pruneImageCache().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'image cache prune failed')); },
    Math.min(opts.imageCacheUnusedSeconds * 500, 600_000) || 600_000);
  pruneTimer.unref();

  return {
    type: 'qemu',
    accel: () => accel,
    pruneImageCache,

    async capacity(): Promise<NodeCapacity> {
      version ??= new Promise<number>((done, fail) => {
        execFile(binary, ['--version'], (err, stdout) => (err ? fail(err) : done(encodeVersion(String(stdout)))));
      });
      await mkdir(opts.instancesDir, { recursive: true });
      const fs = await statfs(opts.instancesDir);
      return {
        // Nova's libvirt driver says QEMU for emulated guests; KVM here tells operators the guests are accelerated.
        hypervisorType: await accel === 'kvm' ? 'KVM' : 'QEMU',
        hypervisorVersion: await version, nodeName: opts.nodeName, vcpus: availableParallelism(),
        memoryMb: Math.floor(totalmem() / MiB), localGb: Math.floor((fs.blocks * fs.bsize) / GiB), hostIp: opts.hostIp || defaultHostIp(),
      };
    },

    spawn: ({ guest, image, configDrive, blockDevices = [], signal }) => host.serialized(guest.uuid, async () => {
      const paths = host.paths(guest.uuid);
      if (await readGuestRecord(paths)) throw new Conflict(`Instance ${guest.uuid} already exists on this hypervisor.`);
      // Boot from volume: the root disk is the volume with boot index 0, and no image is fetched.
      const volumesNow = volumesAtSpawn(blockDevices);
      const fromVolume = volumesNow.some((v) => v.bootIndex === 0);
      if (!fromVolume && !guest.image) throw new BadRequest(`Instance ${guest.uuid} has neither an image nor a boot volume.`);
      if (!fromVolume && !image) throw new BadRequest(`The qemu driver needs image ${guest.image!.id}'s data to build the root disk.`);
      // Whatever a crashed earlier attempt left goes first.
      await rm(paths.dir, { recursive: true, force: true });
      await mkdir(paths.dir, { recursive: true, mode: 0o750 });
      try {
        const base = fromVolume ? undefined : await cache.fetch(image!, signal);
        const rootBytes = guest.rootGb * GiB;
        if (base && rootBytes && rootBytes < base.virtualSize) {
          throw new BadRequest(`Flavor's disk is too small for requested image. Flavor disk is ${rootBytes} bytes, image is ${base.virtualSize} bytes.`);
        }
        if (base) await disks.createOverlay(paths.root, base, rootBytes || undefined);
        if (guest.ephemeralGb) await createEphemeralDisk({ disks, log }, paths.ephemeral, guest.ephemeralGb, guest.ephemeralFormat);
        if (guest.swapMb) await createSwapDisk({ disks, log }, paths.swap, guest.swapMb);
        if (configDrive) await writeConfigDrive(paths.configDrive, configDrive, { log });
        signal?.throwIfAborted();
        const record: GuestRecord = {
          spec: guest, base: base ? { imageId: image!.id, format: base.format } : null, hasEphemeral: guest.ephemeralGb > 0, hasSwap: guest.swapMb > 0,
          hasConfigDrive: configDrive !== undefined, volumes: volumesNow,
        };
        await writeGuestRecord(paths, record);
        await host.launch(record, { signal });
        log.info({ instance: guest.uuid, accel: await accel }, 'guest started');
      } catch (err) {
        await killGuest(paths, guest.uuid).catch(() => undefined);
        await rm(paths.dir, { recursive: true, force: true });
        throw err;
      }
    }),

    destroy: ({ uuid }) => host.serialized(uuid, async () => {
      const paths = host.paths(uuid);
      await killGuest(paths, uuid);
      await rm(paths.dir, { recursive: true, force: true });
    }),

    migrateDiskAndPowerOff: async ({ uuid, destHost, rootGb }) => {
      const record = await readGuestRecord(host.paths(uuid));
      if (record) assertImageBacked(record, 'Resizing');
      return resize.migrateDiskAndPowerOff(uuid, destHost, rootGb);
    },
    finishMigration: ({ guest, powerOn, offer, image }) => resize.finishMigration(guest, powerOn, { offer, image }),
    confirmMigration: ({ uuid }) => resize.confirmMigration(uuid),
    finishRevertMigration: ({ guest, powerOn }) => resize.finishRevertMigration(guest, powerOn),

    powerOff: ({ uuid, timeoutMs }) => power.powerOff(uuid, timeoutMs ?? softTimeoutMs),
    powerOn: ({ uuid }) => power.powerOn(uuid),
    reboot: ({ uuid, hard }) => power.reboot(uuid, hard, softTimeoutMs),
    pause: ({ uuid }) => power.pause(uuid),
    unpause: ({ uuid }) => power.unpause(uuid),
    suspend: ({ uuid }) => power.suspend(uuid),
    resume: ({ uuid }) => power.resume(uuid),
    powerState: ({ uuid }) => power.powerState(uuid),
    attachVolume: (a) => volumes.attach(a),
    detachVolume: (a) => volumes.detach(a),
    extendVolume: (a) => volumes.resize(a),
    attachInterface: (a) => nics.attach(a),
    detachInterface: (a) => nics.detach(a),
    rescue: ({ uuid, image, configDrive }) => rescues.rescue(uuid, image, configDrive),
    unrescue: ({ uuid }) => rescues.unrescue(uuid),
    diagnostics: async ({ uuid }) => guestStats(host, uuid, await accel),

    async snapshot({ uuid, upload }) {
      const paths = host.paths(uuid);
      const copy = join(paths.dir, 'snapshot.qcow2.part');
      await host.serialized(uuid, async () => {
        const record = await readGuestRecord(paths);
        if (!record) throw new NotFound(`Instance ${uuid} could not be found on this hypervisor.`);
        assertImageBacked(record, 'A snapshot');
        // A running guest's vCPUs stop while its disk is copied (QEMU drains its I/O first), so the copy is one moment
        // of the disk; the guest runs on afterwards. A paused, stopped or suspended guest's disk is still already.
        const running = await guestPid(paths, uuid)
          && (await host.withQmp(uuid, (q) => q.execute<{ status: string }>('query-status'))).status === 'running';
        if (running) await host.withQmp(uuid, (q) => q.execute('stop'));
        try {
          await disks.flatten(paths.root, copy);
        } finally {
          if (running) await host.withQmp(uuid, (q) => q.execute('cont'));
        }
      });
      // The upload runs outside the guest's lock: power actions need not wait for Image.
      try {
        await upload(createReadStream(copy), { diskFormat: 'qcow2', containerFormat: 'bare' });
      } finally {
        await rm(copy, { force: true });
      }
    },

    async consoleOutput({ uuid }) {
      const paths = host.paths(uuid);
      if (!await readGuestRecord(paths)) throw new NotFound(`Instance ${uuid} could not be found on this hypervisor.`);
      // The last MiB is plenty for os-getConsoleOutput, and a chatty guest's log cannot exhaust the agent's memory.
      const fh = await open(paths.consoleLog, 'r').catch(() => undefined);
      if (!fh) return '';
      try {
        const { size } = await fh.stat();
        const length = Math.min(size, MiB);
        const buf = Buffer.alloc(length);
        await fh.read(buf, 0, length, size - length);
        return buf.toString('utf8');
      } finally {
        await fh.close();
      }
    },

    async consoleSocket({ uuid, kind }) {
      const paths = host.paths(uuid);
      if (!await guestPid(paths, uuid)) return undefined;
      return kind === 'vnc' ? paths.vnc : paths.serial;
    },

    listGuests: () => listGuestDirs(opts.instancesDir),

    watchLifecycle(listener) {
      const watch = watchGuestExits({
        list: () => listGuestDirs(opts.instancesDir), running: async (uuid) => Boolean(await guestPid(host.paths(uuid), uuid)),
        onStopped: listener, everyMs: 2000,
      });
      return () => watch.stop();
    },

    async close() {
      clearInterval(pruneTimer);
      host.closeSessions();
      await offers.close();
    },
  };
}
