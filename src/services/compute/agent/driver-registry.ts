// The hypervisor drivers this build has, by the name `compute.driver` selects.
import { resolve } from 'node:path';
import type { Logger } from '#lib/log.ts';
import type { HypervisorDriver } from './drivers/hypervisor-driver.ts';
import { createFakeDriver } from './drivers/fake/fake-driver.ts';
import { createQemuDriver } from './drivers/qemu/qemu-driver.ts';

export interface DriverSettings {
  host: string;
  fakeVcpus: number;
  fakeMemoryMb: number;
  fakeLocalGb: number;
  /** The data directory: the qemu driver keeps guests in <dataDir>/instances unless instancesPath says. */
  dataDir: string;
  qemuBinary: string;
  instancesPath: string;
  qemuAccel: string;
  imageCacheUnusedSeconds: number;
  softShutdownTimeout: number;
  log: Logger;
}

const ACCELS = ['auto', 'kvm', 'tcg'] as const;

export const DRIVERS: Record<string, (s: DriverSettings) => HypervisorDriver> = {
  fake: (s) => createFakeDriver({ nodeName: s.host, vcpus: s.fakeVcpus, memoryMb: s.fakeMemoryMb, localGb: s.fakeLocalGb }),
  qemu: (s) => createQemuDriver({
    nodeName: s.host, binary: s.qemuBinary, log: s.log,
    // Absolute: QEMU daemonizes into /, and overlays name their base image by path.
    instancesDir: s.instancesPath ? resolve(s.instancesPath) : resolve(s.dataDir, 'instances'),
    accel: ACCELS.find((a) => a === s.qemuAccel) ?? 'auto',
    imageCacheUnusedSeconds: s.imageCacheUnusedSeconds, softShutdownTimeoutSeconds: s.softShutdownTimeout,
  }),
};
