// The fake hypervisor: keeps guests as records in memory and touches nothing on the host, so one machine can run many
// agents (simulated hosts) for tests and scale runs. Its capacity is configured, its state changes are real.
import { Readable } from 'node:stream';
import type { GuestPower, GuestSpec, HypervisorDriver, NodeCapacity } from '../hypervisor-driver.ts';
import { createFakeRescue } from './fake-rescue.ts';
import type { FakeRescue } from './fake-rescue.ts';

export interface FakeDriverOptions {
  nodeName: string;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  hostIp?: string;
  /** Simulated time a spawn takes. */
  spawnDelayMs?: number;
}

export interface FakeDriver extends HypervisorDriver {
  /** The spec a guest was spawned with (tests read what the agent asked for). */
  guest(uuid: string): GuestSpec | undefined;
  /** The volumes plugged into a guest, by volume id. */
  volumes(uuid: string): Map<string, { device: string; connectionInfo: Record<string, unknown>; sizeBytes?: number }>;
  /** The rescue a guest is in (image, mode, password); undefined when it is not rescued. */
  rescued(uuid: string): FakeRescue | undefined;
}

export function createFakeDriver(opts: FakeDriverOptions): FakeDriver {
  type Guest = { spec: GuestSpec; power: GuestPower; console: string[]; volumes: Map<string, { device: string; connectionInfo: Record<string, unknown>; sizeBytes?: number }> };
  const guests = new Map<string, Guest>();
  /** Guests a resize set aside on this (source) host until it is confirmed or reverted. */
  const kept = new Map<string, Guest>();
  const line = (event: string) => `${new Date().toISOString()} fake hypervisor: ${event}`;
  /** A guest (back) from a resize: what was kept here, or a new one where the disks "arrived" from another host. */
  const fromResize = (guest: GuestSpec, powerOn: boolean, was: Guest | undefined, event: string) => {
    guests.set(guest.uuid, {
      spec: guest, power: powerOn ? 'running' : 'shutdown', volumes: was?.volumes ?? new Map(),
      console: [...was?.console ?? [], line(`${event} with ${guest.vcpus} vCPUs and ${guest.memoryMb} MB${powerOn ? '' : ', powered off'}`)],
    });
  };
  const get = (uuid: string) => {
    const g = guests.get(uuid);
    if (!g) throw new Error(`Instance ${uuid} could not be found on the fake hypervisor.`);
    return g;
  };
  // The fake console says what happened to the guest, one line per event, as a serial log would.
  const set = (uuid: string, power: GuestPower, event: string) => {
    const g = get(uuid);
    g.power = power;
    g.console.push(`${new Date().toISOString()} fake hypervisor: ${event}`);
  };
  const capacity: NodeCapacity = {
    hypervisorType: 'fake', hypervisorVersion: 1000, nodeName: opts.nodeName, vcpus: opts.vcpus, memoryMb: opts.memoryMb,
    localGb: opts.localGb, hostIp: opts.hostIp ?? '127.0.0.1',
  };
  const rescue = createFakeRescue(get);
  return {
    type: 'fake',
    capacity: async () => capacity,
    guest: (uuid) => guests.get(uuid)?.spec,
    async spawn({ guest, signal, blockDevices = [] }) {
      if (opts.spawnDelayMs) await new Promise((r) => setTimeout(r, opts.spawnDelayMs));
      signal?.throwIfAborted();
      // Boot from volume: the block devices are the guest's volumes from the start, like the real driver's.
      const root = blockDevices.find((b) => b.bootIndex === 0);
      guests.set(guest.uuid, {
        spec: guest, power: 'running', volumes: new Map(blockDevices.map((b) => [b.volumeId, { device: b.device, connectionInfo: b.connectionInfo }])),
        console: [`${new Date().toISOString()} fake hypervisor: started ${guest.name} with ${guest.vcpus} vCPUs and ${guest.memoryMb} MB${root ? ` from volume ${root.volumeId}` : guest.image ? ` from image ${guest.image.id}` : ''}`],
      });
    },
    async destroy({ uuid }) { guests.delete(uuid); },
    async migrateDiskAndPowerOff({ uuid }) {
      const g = get(uuid);
      g.power = 'shutdown';
      g.console.push(line('powered off and its disks kept for a resize'));
      kept.set(uuid, g);
      guests.delete(uuid);
    },
    async finishMigration({ guest, powerOn }) { fromResize(guest, powerOn, kept.get(guest.uuid), 'resized'); },
    async confirmMigration({ uuid }) { kept.delete(uuid); },
    async finishRevertMigration({ guest, powerOn }) {
      fromResize(guest, powerOn, kept.get(guest.uuid), 'resize reverted');
      kept.delete(guest.uuid);
    },
    // Live migration between fake hosts: the destination holds a paused incoming guest until the source lets go of its own.
    async preLiveMigration({ guest }) {
      if (guests.has(guest.uuid)) throw new Error(`Instance ${guest.uuid} already exists on the fake hypervisor ${opts.nodeName}.`);
      guests.set(guest.uuid, { spec: guest, power: 'paused', volumes: new Map(), console: [line(`incoming live migration of ${guest.name}`)] });
    },
    async liveMigrate({ uuid }) {
      get(uuid);
      guests.delete(uuid);
    },
    async postLiveMigrationAtDestination({ uuid }) { set(uuid, 'running', 'live migration completed, running here'); },
    async powerOff({ uuid }) { set(uuid, 'shutdown', 'powered off'); },
    async powerOn({ uuid }) { set(uuid, 'running', 'powered on'); },
    async reboot({ uuid, hard }) { set(uuid, 'running', hard ? 'reset (hard reboot)' : 'rebooted'); },
    async pause({ uuid }) { set(uuid, 'paused', 'paused'); },
    async unpause({ uuid }) { set(uuid, 'running', 'unpaused'); },
    async suspend({ uuid }) { set(uuid, 'suspended', 'suspended'); },
    async resume({ uuid }) { set(uuid, 'running', 'resumed'); },
    async attachVolume({ uuid, volumeId, device, connectionInfo }) {
      const g = get(uuid);
      g.volumes.set(volumeId, { device, connectionInfo });
      g.console.push(`${new Date().toISOString()} fake hypervisor: volume ${volumeId} attached at ${device}`);
    },
    async extendVolume({ uuid, volumeId, sizeBytes }) {
      // What the guest would now see: the size is recorded on the plugged volume.
      const plugged = get(uuid).volumes.get(volumeId);
      if (!plugged) throw new Error(`Volume ${volumeId} is not attached to instance ${uuid} on the fake hypervisor.`);
      plugged.sizeBytes = sizeBytes;
      get(uuid).console.push(line(`volume ${volumeId} resized to ${sizeBytes} bytes`));
    },
    async detachVolume({ uuid, volumeId }) {
      const g = guests.get(uuid);
      if (g?.volumes.delete(volumeId)) g.console.push(`${new Date().toISOString()} fake hypervisor: volume ${volumeId} detached`);
    },
    volumes: (uuid) => new Map(guests.get(uuid)?.volumes ?? []),
    // A NIC is part of the guest's spec, so guest(uuid).nics is what is plugged now.
    async attachInterface({ uuid, nic }) {
      const g = get(uuid);
      if (g.spec.nics.some((n) => n.portId === nic.portId)) return;
      g.spec = { ...g.spec, nics: [...g.spec.nics, nic] };
      g.console.push(line(`interface ${nic.portId} (${nic.macAddress}) attached`));
    },
    async detachInterface({ uuid, portId }) {
      const g = guests.get(uuid);
      if (!g?.spec.nics.some((n) => n.portId === portId)) return;
      g.spec = { ...g.spec, nics: g.spec.nics.filter((n) => n.portId !== portId) };
      g.console.push(line(`interface ${portId} detached`));
    },
    async snapshot({ uuid, upload }) {
      // The fake guest has no disk: its snapshot is a small raw "disk" that says whose it is, enough for Image to store.
      const g = get(uuid);
      const disk = Buffer.alloc(4096);
      disk.write(JSON.stringify({ fakeSnapshotOf: uuid, image: g.spec.image?.id ?? null }));
      g.console.push(`${new Date().toISOString()} fake hypervisor: disk snapshot taken`);
      await upload(Readable.from([disk]), { diskFormat: 'raw', containerFormat: 'bare' });
    },
    rescue: rescue.rescue,
    unrescue: rescue.unrescue,
    rescued: rescue.rescued,
    diagnostics: rescue.diagnostics,
    async consoleOutput({ uuid }) { return `${get(uuid).console.join('\n')}\n`; },
    async powerState({ uuid }) { return guests.get(uuid)?.power; },
    async listGuests() { return [...guests.keys()]; },
  };
}
