// The volume drivers this build has, as an explicit map from the `volume_driver` option to a factory.
import type { Logger } from '#lib/log.ts';
import type { VolumeDriver } from './drivers/volume-driver.ts';
import { createFileDriver } from './drivers/file/file-driver.ts';
import { createFakeDriver } from './drivers/fake/fake-driver.ts';

export interface DriverSettings {
  volumesDir: string;
  backupsDir: string;
  maxOverSubscriptionRatio: number;
  fakeCapacityGb: number;
  log: Logger;
}

export const volumeDrivers: Record<string, (s: DriverSettings) => VolumeDriver> = {
  file: (s) => createFileDriver({ dir: s.volumesDir, backupsDir: s.backupsDir, maxOverSubscriptionRatio: s.maxOverSubscriptionRatio, log: s.log }),
  fake: (s) => createFakeDriver({ capacityGb: s.fakeCapacityGb }),
};
