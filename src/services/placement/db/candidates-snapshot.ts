// The data GET /allocation_candidates reads: the provider graph (providers with their inventories and usage, traits
// and aggregates), kept between requests while unchanged (provider-graph-cache.ts); then, for the trees in the
// answer, the summaries the scheduler's filters and weighers read.
import type { CandidateSnapshot, ResourceState } from '../domain/allocation-candidates.ts';
import type { PlacementDb } from './tables.ts';
import type { GraphProvider, ProviderGraph } from './provider-graph-cache.ts';
import { providerGraph } from './provider-graph-cache.ts';

/** The whole current provider graph: every provider, inventories (with usage) of every class, all traits and aggregates. */
export function loadCandidateSnapshot(db: PlacementDb): Promise<ProviderGraph & CandidateSnapshot> {
  return providerGraph(db);
}

export interface ProviderSummary {
  uuid: string;
  parentUuid: string | null;
  rootUuid: string;
  traits: readonly string[];
  resources: ReadonlyMap<string, ResourceState>;
}

const NO_RESOURCES: ReadonlyMap<string, ResourceState> = new Map();

/** Every provider of the given trees with all its inventories (and usage) and all its traits, from the graph. */
export function providerSummaries(graph: { providers: readonly GraphProvider[]; resources: ReadonlyMap<string, ReadonlyMap<string, ResourceState>> }, roots: Set<string>): ProviderSummary[] {
  return graph.providers.filter((p) => roots.has(p.rootUuid)).map((p) => ({
    uuid: p.uuid, parentUuid: p.parentUuid, rootUuid: p.rootUuid, traits: p.sortedTraits, resources: graph.resources.get(p.uuid) ?? NO_RESOURCES,
  }));
}
