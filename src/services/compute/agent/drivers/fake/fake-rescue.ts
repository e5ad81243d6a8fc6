// Rescue and diagnostics for the fake hypervisor: a rescue is state on the guest record (which image it "boots", in
// which mode), and diagnostics are what a guest that touches nothing honestly has: zero counters, the flavor's sizes.
import { Conflict } from '#lib/errors.ts';
import type { GuestDiagnostics, GuestPower, GuestSpec, RescueImage } from '../hypervisor-driver.ts';

/** A fake guest in rescue: the rescue image, whether its original devices stay (stable device rescue), the password. */
export interface FakeRescue {
  imageId: string;
  stableDevice: boolean;
  password: string;
  configDrive: boolean;
}

/** The parts of a fake guest record rescue and diagnostics read and change. */
export interface FakeGuestRecord {
  spec: GuestSpec;
  power: GuestPower;
  console: string[];
  volumes: Map<string, { device: string; connectionInfo: Record<string, unknown> }>;
  rescue?: FakeRescue;
}

const line = (event: string) => `${new Date().toISOString()} fake hypervisor: ${event}`;

export function createFakeRescue(get: (uuid: string) => FakeGuestRecord) {
  return {
    async rescue(opts: { uuid: string; image: RescueImage; rescuePassword: string; configDrive?: unknown }): Promise<void> {
      const g = get(opts.uuid);
      const stableDevice = opts.image.properties.hw_rescue_device !== undefined && opts.image.properties.hw_rescue_bus !== undefined;
      g.rescue = { imageId: opts.image.id, stableDevice, password: opts.rescuePassword, configDrive: opts.configDrive !== undefined };
      g.power = 'running';
      g.console.push(line(`rescued: booted from image ${opts.image.id} with its own disk attached${stableDevice ? ' (stable device rescue)' : ''}`));
    },

    async unrescue({ uuid }: { uuid: string }): Promise<void> {
      const g = get(uuid);
      const was = g.rescue !== undefined;
      delete g.rescue;
      g.power = 'running';
      if (was) g.console.push(line('unrescued: booted from its own disk'));
    },

    rescued: (uuid: string): FakeRescue | undefined => {
      try {
        return get(uuid).rescue;
      } catch {
        return undefined;
      }
    },

    async diagnostics({ uuid }: { uuid: string }): Promise<GuestDiagnostics> {
      const g = get(uuid);
      if (g.power !== 'running') throw new Conflict(`Instance ${uuid} is not running (power state ${g.power}).`);
      const zeroIo = { readBytes: 0, readRequests: 0, writeBytes: 0, writeRequests: 0, errorsCount: 0 };
      const disks = [
        ...g.rescue && !g.rescue.stableDevice ? [{ id: 'rescue', ...zeroIo }] : [],
        ...g.spec.image ? [{ id: 'root', ...zeroIo }] : [],
        ...g.rescue?.stableDevice === false ? [] : [
          ...g.spec.ephemeralGb ? [{ id: 'eph0', ...zeroIo }] : [],
          ...g.spec.swapMb ? [{ id: 'swap', ...zeroIo }] : [],
          ...[...g.volumes.keys()].map((v) => ({ id: `vol-${v}`, ...zeroIo })),
        ],
        ...g.rescue?.stableDevice ? [{ id: 'rescue', ...zeroIo }] : [],
      ];
      return {
        // Nothing runs, so nothing is counted: the honest figures of a simulated guest are zeros and the flavor's sizes.
        state: 'running', hypervisor: 'fake', hypervisorOs: null, uptime: null,
        cpus: Array.from({ length: g.spec.vcpus }, (_, id) => ({ id, timeNs: 0, utilisation: null })),
        nics: g.spec.nics.map((n) => ({
          id: n.devName ?? `tap${n.portId.slice(0, 11)}`, macAddress: n.macAddress, rxOctets: 0, rxErrors: 0, rxDrop: 0, rxPackets: 0, rxRate: null,
          txOctets: 0, txErrors: 0, txDrop: 0, txPackets: 0, txRate: null,
        })),
        disks,
        memory: { maximumKib: g.spec.memoryMb * 1024, usedKib: 0 },
      };
    },
  };
}
