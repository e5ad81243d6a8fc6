// The roles this build implements, in start order: Identity first, since every other role authenticates with it.
import type { RoleSpec } from './role-spec.ts';
import { identityRole } from './identity.ts';
import { imageRole } from './image.ts';
import { placementRole } from './placement.ts';
import { computeAgentRole, computeConductorRole, computeMetadataRole, computeNovncProxyRole, computeRole, computeSchedulerRole } from './compute.ts';
import { blockStorageRole } from './block-storage.ts';
import { objectStorageNodeRole, objectStorageRole } from './object-storage.ts';
import { networkRole } from './network.ts';
import { networkAgentRole } from './network-agent.ts';

export const ROLE_SPECS = {
  identity: identityRole,
  image: imageRole,
  placement: placementRole,
  compute: computeRole,
  'compute-conductor': computeConductorRole,
  'compute-scheduler': computeSchedulerRole,
  'compute-agent': computeAgentRole,
  'compute-novncproxy': computeNovncProxyRole,
  'compute-metadata': computeMetadataRole,
  'block-storage': blockStorageRole,
  'object-storage-node': objectStorageNodeRole,
  'object-storage': objectStorageRole,
  network: networkRole,
  'network-agent': networkAgentRole,
} as const satisfies Record<string, RoleSpec>;

export type RoleName = keyof typeof ROLE_SPECS;
export const ROLES = Object.keys(ROLE_SPECS) as RoleName[];
