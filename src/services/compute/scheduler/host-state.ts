// What filters and weighers know about one candidate host: its node, its service, and Placement's capacity view.
import type { ProviderSummary } from '#services/placement/contract/client.ts';

export interface HostState {
  host: string;
  node: string;
  nodeUuid: string;
  serviceDisabled: boolean;
  /** When the host's agent last reported; null when it never did. */
  lastSeenUp: string | null;
  summary: ProviderSummary;
  /** The host's availability zone (its aggregate's, else the default). */
  zone: string;
}

/** Free amount of a resource class as Placement sees it (capacity already includes the allocation ratio). */
export function free(h: HostState, rc: string): number {
  const r = h.summary.resources[rc];
  return r ? r.capacity - r.used : 0;
}

export interface FilterRequest {
  ignoreHosts: string[];
  group?: { policy: string; memberHosts: string[]; maxServerPerHost?: number };
  /** The zone the server was asked into; null for any. */
  availabilityZone: string | null;
  now: number;
  serviceDownTimeMs: number;
}

export interface HostFilter {
  name: string;
  passes(host: HostState, req: FilterRequest): boolean;
}

export interface HostWeigher {
  name: string;
  multiplier: number;
  weigh(host: HostState, req: FilterRequest): number;
}
