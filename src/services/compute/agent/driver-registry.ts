// The hypervisor drivers this build has, by the name `compute.driver` selects.
import type { HypervisorDriver } from './drivers/hypervisor-driver.ts';
import { createFakeDriver } from './drivers/fake/fake-driver.ts';

export interface DriverSettings {
  host: string;
  fakeVcpus: number;
  fakeMemoryMb: number;
  fakeLocalGb: number;
}

export const DRIVERS: Record<string, (s: DriverSettings) => HypervisorDriver> = {
  fake: (s) => createFakeDriver({ nodeName: s.host, vcpus: s.fakeVcpus, memoryMb: s.fakeMemoryMb, localGb: s.fakeLocalGb }),
};
