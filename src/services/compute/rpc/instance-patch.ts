// The fields of a server an RPC may change, as plain data (the bus carries JSON).
import type { Instance } from '../domain/instance.ts';

export type InstancePatchArgs = Partial<Pick<Instance,
  'host' | 'node' | 'vmState' | 'taskState' | 'powerState' | 'networkInfo' | 'fault' | 'launchedAt' | 'terminatedAt' | 'requestSpec' | 'flavor' |
  'availabilityZone'>>;
