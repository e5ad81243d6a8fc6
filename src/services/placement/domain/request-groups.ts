// What GET /allocation_candidates asks for once its query string is parsed: request groups and request-wide options.

/**
 * One request group. The unsuffixed group ('') may be satisfied by several providers of one tree plus sharing
 * providers; a suffixed (granular) group must be satisfied by a single provider.
 */
export interface RequestGroup {
  suffix: string;
  /** Amount per resource class; empty for a resourceless group (allowed from 1.36 when named in same_subtree). */
  resources: Map<string, number>;
  /** Each inner list is OR'd (any of its traits), the lists are AND'd: [[A], [B, C]] means A and (B or C). */
  requiredTraits: string[][];
  forbiddenTraits: Set<string>;
  /** Each inner list is OR'd (member of any), the lists are AND'd. */
  memberOf: string[][];
  forbiddenAggregates: Set<string>;
  /** A provider whose tree the group must be satisfied from. */
  inTree?: string;
}

export interface RequestWide {
  /** Required when more than one suffixed group is given; 'isolate' puts each suffixed group on its own provider. */
  groupPolicy?: 'none' | 'isolate';
  /** Traits the root of each candidate's tree must have (root_required), and must not have. */
  rootRequired: Set<string>;
  rootForbidden: Set<string>;
  /** Sets of suffixes whose providers must all sit under one of them (same_subtree). */
  sameSubtrees: string[][];
  /** At most this many allocation requests (the limit query parameter). */
  limit?: number;
  /** Before 1.29 a candidate may use only one provider per tree. */
  nestedAware: boolean;
  /** Stop generating after this many candidates (an operator's guard against combinatorial explosion); < 0 for none. */
  maxCandidates: number;
  /** Shuffle candidates (and take a random sample under a limit) instead of keeping discovery order. */
  randomize: boolean;
}

export const isGranular = (group: RequestGroup): boolean => group.suffix !== '';

/** Every trait a request names, so a snapshot can load just those. */
export function traitsNamed(groups: RequestGroup[], wide: RequestWide): Set<string> {
  const names = new Set<string>([...wide.rootRequired, ...wide.rootForbidden]);
  for (const g of groups) {
    for (const anyOf of g.requiredTraits) for (const t of anyOf) names.add(t);
    for (const t of g.forbiddenTraits) names.add(t);
  }
  return names;
}
