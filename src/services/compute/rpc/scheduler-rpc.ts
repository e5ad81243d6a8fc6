// The scheduler's one question (topic compute-scheduler): where may this server run? It answers with a host whose
// resources it has already claimed in Placement for the server.
import { defineRpc } from '#lib/bus/index.ts';

export interface SelectDestinationsArgs {
  instanceUuid: string;
  projectId: string;
  userId: string;
  resources: Record<string, number>;
  /** Hosts a build already failed on. */
  ignoreHosts: string[];
  availabilityZone: string | null;
  /** Flavor extra specs: trait:<NAME>=required|forbidden become Placement trait filters. */
  extraSpecs: Record<string, string>;
  /** The server group the server joins: its policy and the hosts its other live members run on. */
  group?: { policy: string; memberHosts: string[]; maxServerPerHost?: number };
  /** An admin's `az:host[:node]`: only that host (and node), the filters skipped; Placement still claims. */
  forcedHost?: string;
  forcedNode?: string;
  /** An admin's requested host and/or node (2.74): only those, and the filters still run. */
  requestedHost?: string;
  requestedNode?: string;
  /**
   * A move (resize): the server already holds `sourceAllocations` at consumer generation `consumerGeneration`. The
   * claim moves them to the migration's consumer and gives the server the new ones, in one Placement request.
   */
  move?: { migrationUuid: string; sourceAllocations: Record<string, { resources: Record<string, number> }>; consumerGeneration: number | null };
}

export interface Destination {
  host: string;
  node: string;
  nodeUuid: string;
}

export type SchedulerMethods = {
  select_destinations: { kind: 'call'; args: SelectDestinationsArgs; result: Destination };
};

export const schedulerRpc = defineRpc<SchedulerMethods>('compute-scheduler', '1.0');

/** The error code a NoValidHost answer carries over the bus. */
export const NO_VALID_HOST = 'NoValidHost';
