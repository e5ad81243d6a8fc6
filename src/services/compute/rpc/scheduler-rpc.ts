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
  group?: { policy: string; memberHosts: string[] };
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
