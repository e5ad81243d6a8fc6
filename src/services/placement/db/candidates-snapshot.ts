// The data GET /allocation_candidates reads: providers with their inventories and usage, the traits and aggregates
// the request names; then, for the trees in the answer, every trait the summaries show.
import type { CandidateSnapshot, ResourceState } from '../domain/allocation-candidates.ts';
import { MISC_SHARES_VIA_AGGREGATE } from '../domain/standard-traits.ts';
import type { PlacementDb } from './tables.ts';
import { aggregatesByProvider } from './aggregates-repo.ts';
import { traitsByProvider } from './traits-repo.ts';
import { resourceStates } from './usages-repo.ts';

const NONE: ReadonlySet<string> = new Set();

/**
 * One read of the provider graph: every provider, the inventories (with usage) of every class — the search needs the
 * requested ones and provider summaries all of them — and only the traits and aggregates the request can use.
 */
export async function loadCandidateSnapshot(db: PlacementDb, need: { traits: string[]; aggregates: boolean }): Promise<CandidateSnapshot> {
  const [providers, traits, resources] = await Promise.all([
    db.selectFrom('resource_providers').select(['uuid', 'parent_uuid', 'root_uuid']).orderBy('created_at').orderBy('uuid').execute(),
    traitsByProvider(db, undefined, [...new Set([...need.traits, MISC_SHARES_VIA_AGGREGATE])]),
    resourceStates(db, {}),
  ]);
  const sharing = [...traits.values()].some((t) => t.has(MISC_SHARES_VIA_AGGREGATE));
  // Aggregates matter only for member_of and for finding the trees a sharing provider serves.
  const aggregates = need.aggregates || sharing ? await aggregatesByProvider(db) : new Map<string, Set<string>>();
  return {
    providers: providers.map((p) => ({
      uuid: p.uuid, parentUuid: p.parent_uuid, rootUuid: p.root_uuid, traits: traits.get(p.uuid) ?? NONE, aggregates: aggregates.get(p.uuid) ?? NONE,
    })),
    resources,
  };
}

export interface ProviderSummary {
  uuid: string;
  parentUuid: string | null;
  rootUuid: string;
  traits: string[];
  resources: Map<string, ResourceState>;
}

/** Every provider of the given trees with all its inventories (and usage), from the snapshot, and all its traits. */
export async function providerSummaries(db: PlacementDb, snapshot: CandidateSnapshot, roots: Set<string>): Promise<ProviderSummary[]> {
  const providers = snapshot.providers.filter((p) => roots.has(p.rootUuid));
  // Summaries of every provider (a scheduler's usual answer): one read of all traits, not a list of every uuid.
  const traits = await traitsByProvider(db, providers.length === snapshot.providers.length ? undefined : providers.map((p) => p.uuid));
  return providers.map((p) => ({
    uuid: p.uuid, parentUuid: p.parentUuid, rootUuid: p.rootUuid,
    traits: [...(traits.get(p.uuid) ?? [])].sort(), resources: snapshot.resources.get(p.uuid) ?? new Map(),
  }));
}
