// A server as the domain sees it: the instance record in camelCase, with its JSON columns parsed.
import type { Flavor } from './flavor.ts';

/** What the user asked for: no network, Nova's "auto", or specific networks, ports and addresses. */
export type RequestedNetworks = 'none' | 'auto' | { networkId?: string; portId?: string; fixedIp?: string }[];

/** One port the agent bound for the server, with its addresses (Nova's network info cache, reduced). */
export interface BoundPort {
  portId: string;
  networkId: string;
  networkName: string;
  macAddress: string;
  /** Ports the agent created (and so deletes with the server), as opposed to ports the user passed in. */
  createdByCompute: boolean;
  ips: { address: string; version: 4 | 6; type: 'fixed' | 'floating' }[];
}

export interface Fault {
  code: number;
  message: string;
  details?: string;
  created: string;
}

export interface RequestSpec {
  /** Hosts a build already failed on, so a reschedule avoids them. */
  triedHosts: string[];
  attempts: number;
  hints: Record<string, unknown>;
  /** The zone the user asked for (the server's own field becomes its host's zone once placed); null for any. */
  availabilityZone?: string | null;
  /** An admin's `az:host[:node]` placement. */
  forcedHost?: string;
  forcedNode?: string;
  /** An admin's `host`/`hypervisor_hostname` (2.74): only that host (node), the filters still run. */
  requestedHost?: string;
  requestedNode?: string;
}

export interface FlavorSnapshot extends Flavor {
  extraSpecs: Record<string, string>;
}

export interface Instance {
  uuid: string;
  name: string;
  description: string | null;
  projectId: string;
  userId: string;
  imageRef: string;
  flavor: FlavorSnapshot;
  keyName: string | null;
  keyData: string | null;
  userData: string | null;
  availabilityZone: string | null;
  hostname: string;
  host: string | null;
  node: string | null;
  vmState: string;
  taskState: string | null;
  powerState: number;
  configDrive: boolean;
  accessIpV4: string | null;
  accessIpV6: string | null;
  locked: boolean;
  lockedBy: string | null;
  reservationId: string;
  launchIndex: number;
  requestedNetworks: RequestedNetworks;
  securityGroups: string[];
  networkInfo: BoundPort[];
  requestSpec: RequestSpec;
  fault: Fault | null;
  metadata: Record<string, string>;
  launchedAt: string | null;
  terminatedAt: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  deleted: boolean;
}

/** The resources a server claims in Placement: Nova's flavor → resource class translation (no PCPU, no PMEM). */
export function resourcesOf(flavor: Flavor): Record<string, number> {
  const disk = flavor.disk + flavor.ephemeral + Math.ceil(flavor.swap / 1024);
  return { VCPU: flavor.vcpus, MEMORY_MB: flavor.ram, ...(disk > 0 ? { DISK_GB: disk } : {}) };
}
