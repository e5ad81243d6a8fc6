// The provider graph GET /allocation_candidates searches (providers, all their inventories with usage, traits and
// aggregates), kept between requests and refreshed per provider. Reading it whole costs a few hundred rows per
// request (100 hosts: ~300 inventories, 100 providers and all their traits); every claim changes one provider, so
// each request instead reads every provider's (generation, updated_at) and re-reads only the providers whose pair
// changed.
//
// Every change of a provider's inventory, usage (allocations), traits, and aggregates from 1.19, bumps its generation
// and sets its updated_at; the writes that bump no generation (aggregates before 1.19, re-parenting a subtree, a
// rename of a resource class the provider has inventory of) set updated_at. A new or deleted provider changes the set
// of providers, and then the graph is read whole; so it is after this process's writes that bump no generation
// (graph-changes.ts), in case two fell in the same millisecond.
import type { ResourceState } from '../domain/allocation-candidates.ts';
import type { PlacementDb } from './tables.ts';
import { aggregatesByProvider } from './aggregates-repo.ts';
import { graphEpoch } from './graph-changes.ts';
import { traitsByProvider } from './traits-repo.ts';
import { resourceStates } from './usages-repo.ts';

export interface GraphProvider {
  uuid: string;
  parentUuid: string | null;
  rootUuid: string;
  traits: ReadonlySet<string>;
  /** The same traits, sorted, as provider summaries show them. */
  sortedTraits: readonly string[];
  aggregates: ReadonlySet<string>;
}

/** Shared between requests: nothing may change it. */
export interface ProviderGraph {
  /** Every provider, oldest first (the order candidates are discovered in). */
  providers: readonly GraphProvider[];
  /** Inventory and usage of every class, by provider uuid, then resource class. */
  resources: ReadonlyMap<string, ReadonlyMap<string, ResourceState>>;
}

interface Kept {
  epoch: number;
  /** "generation/updated_at" per provider uuid, as read before the graph's rows. */
  versions: Map<string, string>;
  graph: ProviderGraph;
}

const NONE: ReadonlySet<string> = new Set();
const kept = new WeakMap<PlacementDb, Kept>();

/** The current provider graph: the kept one with the changed providers re-read, or a fresh read. */
export async function providerGraph(db: PlacementDb): Promise<ProviderGraph> {
  // The epoch and versions are taken before the rows, so a change during the read makes the copy look stale next
  // time (and be re-read), never fresher than it is.
  const epoch = graphEpoch(db);
  const rows = await db.selectFrom('resource_providers').select(['uuid', 'generation', 'updated_at']).orderBy('created_at').orderBy('uuid').execute();
  const versions = new Map(rows.map((r) => [r.uuid, `${String(r.generation)}/${r.updated_at}`]));
  const base = kept.get(db);
  let graph: ProviderGraph | undefined;
  if (base && base.epoch === epoch && sameProviders(base.graph, rows)) {
    const changed = rows.filter((r) => base.versions.get(r.uuid) !== versions.get(r.uuid)).map((r) => r.uuid);
    // When most providers changed, one whole read is cheaper than a long list of uuids.
    if (changed.length === 0) graph = base.graph;
    else if (changed.length <= rows.length / 2) graph = await refresh(db, base.graph, changed);
  }
  graph ??= await readProviders(db);
  kept.set(db, { epoch, versions, graph });
  return graph;
}

function sameProviders(graph: ProviderGraph, rows: { uuid: string }[]): boolean {
  return graph.providers.length === rows.length && graph.providers.every((p, i) => p.uuid === rows[i].uuid);
}

/** A new graph: `base` with the `changed` providers read again; undefined when one of them has gone meanwhile. */
async function refresh(db: PlacementDb, base: ProviderGraph, changed: string[]): Promise<ProviderGraph | undefined> {
  const fresh = await readProviders(db, changed);
  const byUuid = new Map(fresh.providers.map((p) => [p.uuid, p]));
  if (byUuid.size !== changed.length) return undefined;
  const resources = new Map(base.resources);
  for (const uuid of changed) {
    const own = fresh.resources.get(uuid);
    if (own) resources.set(uuid, own);
    else resources.delete(uuid);
  }
  return { providers: base.providers.map((p) => byUuid.get(p.uuid) ?? p), resources };
}

/** Providers (all, oldest first, or the given ones) with their traits, aggregates and inventories with usage. */
async function readProviders(db: PlacementDb, only?: string[]): Promise<ProviderGraph & { resources: Map<string, ReadonlyMap<string, ResourceState>> }> {
  let q = db.selectFrom('resource_providers').select(['uuid', 'parent_uuid', 'root_uuid']).orderBy('created_at').orderBy('uuid');
  if (only) q = q.where('uuid', 'in', only);
  const [providers, traits, aggregates, resources] = await Promise.all([
    q.execute(), traitsByProvider(db, only), aggregatesByProvider(db, only), resourceStates(db, { providers: only }),
  ]);
  return {
    providers: providers.map((p) => {
      const own = traits.get(p.uuid) ?? NONE;
      return {
        uuid: p.uuid, parentUuid: p.parent_uuid, rootUuid: p.root_uuid, traits: own, sortedTraits: [...own].sort(), aggregates: aggregates.get(p.uuid) ?? NONE,
      };
    }),
    resources,
  };
}
