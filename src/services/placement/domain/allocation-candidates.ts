// GET /allocation_candidates as a pure function over a snapshot of providers: which sets of providers could satisfy
// every request group at once. The claim itself (PUT /allocations) re-checks capacity in a transaction; this only
// proposes. Semantics follow Placement's: trees, sharing providers, granular groups, group_policy, same_subtree.
import type { Inventory } from './inventory.ts';
import { capacity, fits } from './inventory.ts';
import { isGranular } from './request-groups.ts';
import type { RequestGroup, RequestWide } from './request-groups.ts';
import { MISC_SHARES_VIA_AGGREGATE } from './standard-traits.ts';

export interface ProviderNode {
  uuid: string;
  parentUuid: string | null;
  rootUuid: string;
  /** At least the traits the request names (and MISC_SHARES_VIA_AGGREGATE). */
  traits: ReadonlySet<string>;
  aggregates: ReadonlySet<string>;
}

export interface ResourceState extends Inventory {
  used: number;
}

export interface CandidateSnapshot {
  /** Every provider, in the order candidates should be discovered. Read only: it may be shared between requests. */
  providers: readonly ProviderNode[];
  /** Inventory and usage of (at least) the requested classes, by provider uuid, then resource class. */
  resources: ReadonlyMap<string, ReadonlyMap<string, ResourceState>>;
}

export interface AllocationRequest {
  /** Amount per resource class, per provider: the body of a PUT /allocations. */
  allocations: Map<string, Map<string, number>>;
  /** The providers that satisfied each group, by suffix ('' for the unsuffixed group). */
  mappings: Map<string, string[]>;
}

/** One way to satisfy one group, inside the tree of `anchor` (sharing providers count as part of the trees they serve). */
interface GroupCandidate {
  suffix: string;
  granular: boolean;
  anchor: string;
  resources: { provider: string; resourceClass: string; amount: number }[];
  providers: string[];
}

/** Candidates for `groups`, consolidated per provider, at most wide.limit of them. Never throws for "no fit": returns []. */
export function findAllocationCandidates(snapshot: CandidateSnapshot, groups: RequestGroup[], wide: RequestWide): AllocationRequest[] {
  const search = createSearch(snapshot, wide);
  const perGroup = groups.map((g) => (isGranular(g) ? search.singleProvider(g) : search.treeWide(g)));
  if (perGroup.some((c) => c.length === 0)) return [];
  const found = merge(search, groups, perGroup, wide);
  if (wide.randomize) shuffle(found);
  return wide.limit !== undefined ? found.slice(0, wide.limit) : found;
}

type Search = ReturnType<typeof createSearch>;

function createSearch(snapshot: CandidateSnapshot, wide: RequestWide) {
  const byUuid = new Map(snapshot.providers.map((p) => [p.uuid, p]));
  const sharing = snapshot.providers.filter((p) => p.traits.has(MISC_SHARES_VIA_AGGREGATE));
  const isSharing = new Set(sharing);
  const members = new Map<string, ProviderNode[]>();
  for (const p of snapshot.providers) for (const agg of p.aggregates) members.set(agg, [...(members.get(agg) ?? []), p]);
  const anchorCache = new Map<string, string[]>();

  const resource = (provider: string, rc: string): ResourceState | undefined => snapshot.resources.get(provider)?.get(rc);
  const fitsOn = (p: ProviderNode, rc: string, amount: number): boolean => {
    const r = resource(p.uuid, rc);
    return r !== undefined && fits(r, r.used, amount);
  };
  /** The roots of every tree with a provider in one of the sharing provider's aggregates (its own tree included). */
  const anchorsOf = (s: ProviderNode): string[] => {
    let anchors = anchorCache.get(s.uuid);
    if (!anchors) {
      const roots = new Set<string>();
      for (const agg of s.aggregates) for (const q of members.get(agg) ?? []) roots.add(q.rootUuid);
      anchors = [...roots];
      anchorCache.set(s.uuid, anchors);
    }
    return anchors;
  };
  const anchorAllowed = (root: string): boolean => {
    if (wide.rootRequired.size === 0 && wide.rootForbidden.size === 0) return true;
    const traits = byUuid.get(root)?.traits ?? new Set<string>();
    for (const t of wide.rootRequired) if (!traits.has(t)) return false;
    for (const t of wide.rootForbidden) if (traits.has(t)) return false;
    return true;
  };
  const treeOf = (g: RequestGroup): string | null | undefined => (g.inTree === undefined ? undefined : byUuid.get(g.inTree)?.rootUuid ?? null);

  /**
   * A granular group: every resource, trait and aggregate rule met by one provider. A resourceless group (1.36, named
   * in same_subtree) is matched on traits and aggregates alone.
   */
  function singleProvider(g: RequestGroup): GroupCandidate[] {
    const tree = treeOf(g);
    if (tree === null) return [];
    const out: GroupCandidate[] = [];
    for (const p of snapshot.providers) {
      if (tree !== undefined && p.rootUuid !== tree) continue;
      if (!hasTraits(p.traits, g.requiredTraits, g.forbiddenTraits)) continue;
      if (!inAggregates(p, g.memberOf) || touches(p.aggregates, g.forbiddenAggregates)) continue;
      if (![...g.resources].every(([rc, amount]) => fitsOn(p, rc, amount))) continue;
      const resources = [...g.resources].map(([resourceClass, amount]) => ({ provider: p.uuid, resourceClass, amount }));
      const anchors = [p.rootUuid];
      if (isSharing.has(p)) anchors.push(...anchorsOf(p).filter((a) => a !== p.rootUuid));
      for (const anchor of anchors) {
        if (anchorAllowed(anchor)) out.push({ suffix: g.suffix, granular: true, anchor, resources, providers: [p.uuid] });
      }
    }
    return out;
  }

  /** The unsuffixed group: each resource class from any provider of one tree, or from a sharing provider serving it. */
  function treeWide(g: RequestGroup): GroupCandidate[] {
    const tree = treeOf(g);
    if (tree === null) return [];
    const classes = [...g.resources.keys()].sort();
    const perClass: Map<string, string[]>[] = [];
    for (const rc of classes) {
      const amount = g.resources.get(rc)!;
      const byTree = new Map<string, string[]>();
      const add = (provider: ProviderNode, anchor: string) => {
        if (!anchorAllowed(anchor)) return;
        const root = byUuid.get(anchor)!;
        if (g.memberOf.length > 0 && !inAggregates(provider, g.memberOf) && !inAggregates(root, g.memberOf)) return;
        if (touches(provider.aggregates, g.forbiddenAggregates) || touches(root.aggregates, g.forbiddenAggregates)) return;
        byTree.set(anchor, [...(byTree.get(anchor) ?? []), provider.uuid]);
      };
      for (const p of snapshot.providers) {
        if ((tree === undefined || p.rootUuid === tree) && fitsOn(p, rc, amount)) add(p, p.rootUuid);
      }
      if (tree === undefined) {
        for (const s of sharing) {
          if (!fitsOn(s, rc, amount) || !inAggregates(s, g.memberOf)) continue;
          for (const anchor of anchorsOf(s)) if (anchor !== s.rootUuid) add(s, anchor);
        }
      }
      if (byTree.size === 0) return [];
      perClass.push(byTree);
    }
    const out: GroupCandidate[] = [];
    for (const anchor of perClass[0]?.keys() ?? []) {
      const lists = perClass.map((m) => m.get(anchor));
      if (lists.some((l) => l === undefined)) continue;
      for (const combo of product(lists as string[][])) {
        const used = [...new Set(combo)];
        if (used.some((u) => touches(byUuid.get(u)!.traits, g.forbiddenTraits))) continue;
        // One provider (the usual host) brings its own set; only a combination needs their union.
        const traits = used.length === 1 ? byUuid.get(used[0])!.traits : new Set(used.flatMap((u) => [...byUuid.get(u)!.traits]));
        if (!hasTraits(traits, g.requiredTraits, NO_TRAITS)) continue;
        const resources = classes.map((resourceClass, i) => ({ provider: combo[i], resourceClass, amount: g.resources.get(resourceClass)! }));
        out.push({ suffix: g.suffix, granular: false, anchor, resources, providers: used });
      }
    }
    return out;
  }

  return { byUuid, resource, singleProvider, treeWide };
}

/** Cartesian product of the groups' candidates per anchor, pruned as soon as a partial sum exceeds a capacity. */
function merge(search: Search, groups: RequestGroup[], perGroup: GroupCandidate[][], wide: RequestWide): AllocationRequest[] {
  const byAnchor = new Map<string, GroupCandidate[][]>();
  perGroup.forEach((cands, i) => {
    for (const c of cands) {
      let lists = byAnchor.get(c.anchor);
      if (!lists) byAnchor.set(c.anchor, (lists = groups.map(() => [])));
      lists[i].push(c);
    }
  });
  const granularCount = groups.filter(isGranular).length;
  const out: AllocationRequest[] = [];
  const seen = new Set<string>();
  const enough = () => (wide.maxCandidates >= 0 && out.length >= wide.maxCandidates)
    || (!wide.randomize && wide.limit !== undefined && out.length >= wide.limit);

  const sums = new Map<string, number>();
  const chosen: GroupCandidate[] = [];
  const take = (c: GroupCandidate): boolean => {
    const applied: string[] = [];
    for (const r of c.resources) {
      const key = `${r.provider}\u0000${r.resourceClass}`;
      const sum = (sums.get(key) ?? 0) + r.amount;
      sums.set(key, sum);
      applied.push(key);
      const state = search.resource(r.provider, r.resourceClass)!;
      if (state.used + sum > capacity(state) || sum > state.maxUnit) {
        release(c, applied.length);
        return false;
      }
    }
    return true;
  };
  const release = (c: GroupCandidate, count = c.resources.length) => {
    for (const r of c.resources.slice(0, count)) {
      const key = `${r.provider}\u0000${r.resourceClass}`;
      sums.set(key, sums.get(key)! - r.amount);
    }
  };
  const accept = () => {
    if (wide.groupPolicy === 'isolate') {
      const granularProviders = new Set(chosen.filter((c) => c.granular).flatMap((c) => c.providers));
      if (granularProviders.size !== granularCount) return;
    }
    if (!sameSubtreesHold(search, chosen, wide.sameSubtrees)) return;
    const request = consolidate(chosen);
    if (!wide.nestedAware && usesTwoProvidersOfOneTree(search, request)) return;
    const key = requestKey(request);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(request);
  };
  const walk = (lists: GroupCandidate[][], i: number): void => {
    if (i === lists.length) return accept();
    for (const c of lists[i]) {
      if (enough()) return;
      if (!take(c)) continue;
      chosen.push(c);
      walk(lists, i + 1);
      chosen.pop();
      release(c);
    }
  };
  for (const lists of byAnchor.values()) {
    if (enough()) break;
    if (lists.every((l) => l.length > 0)) walk(lists, 0);
  }
  return out;
}

function consolidate(chosen: GroupCandidate[]): AllocationRequest {
  const allocations = new Map<string, Map<string, number>>();
  const mappings = new Map<string, string[]>();
  for (const c of chosen) {
    for (const r of c.resources) {
      const byClass = allocations.get(r.provider) ?? new Map<string, number>();
      byClass.set(r.resourceClass, (byClass.get(r.resourceClass) ?? 0) + r.amount);
      allocations.set(r.provider, byClass);
    }
    mappings.set(c.suffix, [...new Set([...(mappings.get(c.suffix) ?? []), ...c.providers])]);
  }
  return { allocations, mappings };
}

/** A canonical text of the request (providers, classes and suffixes sorted), to drop duplicates; built once per candidate. */
function requestKey(r: AllocationRequest): string {
  const allocs = [...r.allocations.keys()].sort().map((p) => `${p}:${[...r.allocations.get(p)!].sort((a, b) => (a[0] < b[0] ? -1 : 1)).join(';')}`);
  const maps = [...r.mappings.keys()].sort().map((s) => `${s}:${[...r.mappings.get(s)!].sort().join(';')}`);
  return `${allocs.join('|')}\u0000${maps.join('|')}`;
}

/** Before 1.29 Placement could not combine providers of one tree: such candidates are left out. */
function usesTwoProvidersOfOneTree(search: Search, r: AllocationRequest): boolean {
  const roots = [...r.allocations.keys()].map((p) => search.byUuid.get(p)!.rootUuid);
  return new Set(roots).size !== roots.length;
}

/** same_subtree: the providers of the named groups all sit under one of them. */
function sameSubtreesHold(search: Search, chosen: GroupCandidate[], sameSubtrees: string[][]): boolean {
  for (const suffixes of sameSubtrees) {
    const providers = [...new Set(chosen.filter((c) => suffixes.includes(c.suffix)).flatMap((c) => c.providers))];
    if (providers.length <= 1) continue;
    const ancestors = providers.map((p) => ancestorsOf(search, p));
    if (!providers.some((top) => ancestors.every((a) => a.has(top)))) return false;
  }
  return true;
}

/** The provider and every provider above it. */
export function ancestorsOf(search: { byUuid: Map<string, ProviderNode> }, uuid: string): Set<string> {
  const out = new Set<string>();
  for (let p = search.byUuid.get(uuid); p && !out.has(p.uuid); p = p.parentUuid ? search.byUuid.get(p.parentUuid) : undefined) out.add(p.uuid);
  return out;
}

const NO_TRAITS: ReadonlySet<string> = new Set();

function hasTraits(traits: ReadonlySet<string>, required: string[][], forbidden: ReadonlySet<string>): boolean {
  return required.every((anyOf) => anyOf.some((t) => traits.has(t))) && !touches(traits, forbidden);
}

function inAggregates(p: ProviderNode, memberOf: string[][]): boolean {
  return memberOf.every((anyOf) => anyOf.some((a) => p.aggregates.has(a)));
}

function touches(have: ReadonlySet<string>, banned: ReadonlySet<string>): boolean {
  for (const b of banned) if (have.has(b)) return true;
  return false;
}

function* product(lists: string[][], i = 0, prefix: string[] = []): Generator<string[]> {
  if (i === lists.length) {
    yield [...prefix];
    return;
  }
  for (const item of lists[i]) {
    prefix.push(item);
    yield* product(lists, i + 1, prefix);
    prefix.pop();
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
