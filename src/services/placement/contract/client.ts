// The typed REST client of Placement: what Compute's scheduler (candidates, claims) and compute agents (their
// providers and inventories) use. It speaks microversion 1.39 with the calling service's token.
import { RemoteError, ServiceUnavailable } from '#lib/errors.ts';
import type {
  AllocationCandidates, AllocationsBody, CandidateGroup, CandidateQuery, ConsumerAllocations, Inventories, InventoryInput,
  ResourceProvider,
} from './api-types.ts';

export type * from './api-types.ts';

export const PLACEMENT_MICROVERSION = '1.39';
export const CONCURRENT_UPDATE = 'placement.concurrent_update';

export interface PlacementClientOptions {
  /** Placement's root URL, e.g. http://127.0.0.1:8778, or how to find it (the catalog) when first needed. */
  endpoint: string | (() => Promise<string | undefined>);
  /** The token to send: the calling service's own (Placement is a service-to-service API). */
  token: () => Promise<string>;
  timeoutMs?: number;
  /** How often a generation conflict is retried by the read-modify-write helpers; default 5. */
  conflictRetries?: number;
}

export interface CallContext {
  /** The user action's request id, passed on so logs of both services join up. */
  globalRequestId?: string;
}

/** A Placement error: `code` is Placement's (placement.concurrent_update, placement.inventory.inuse…). */
export class PlacementRequestError extends RemoteError {}

/** True for the error a stale generation or a lost race gives: re-read and retry. */
export function isConcurrentUpdate(err: unknown): boolean {
  return err instanceof PlacementRequestError && err.code === CONCURRENT_UPDATE;
}

export interface PlacementClient {
  getAllocationCandidates(query: CandidateQuery, ctx?: CallContext): Promise<AllocationCandidates>;
  getAllocations(consumer: string, ctx?: CallContext): Promise<ConsumerAllocations>;
  /** Replaces a consumer's allocations; consumer_generation null claims for a consumer holding nothing yet. */
  putAllocations(consumer: string, body: AllocationsBody, ctx?: CallContext): Promise<void>;
  /** Replaces the allocations of several consumers at once (a move: claim on the target, release the source). */
  postAllocations(bodies: Record<string, AllocationsBody>, ctx?: CallContext): Promise<void>;
  /** Removes a consumer's allocations; false when it held none. Idempotent. */
  deleteAllocations(consumer: string, ctx?: CallContext): Promise<boolean>;
  getProvider(uuid: string, ctx?: CallContext): Promise<ResourceProvider | undefined>;
  listProviders(filter?: { name?: string; inTree?: string; resources?: Record<string, number> }, ctx?: CallContext): Promise<ResourceProvider[]>;
  /** The provider with this uuid, created (as a root or under parentUuid) if missing. Safe when several agents race. */
  ensureResourceProvider(p: { uuid: string; name: string; parentUuid?: string }, ctx?: CallContext): Promise<ResourceProvider>;
  /** Deletes a provider; false when it did not exist. 409 while it has allocations or children. */
  deleteResourceProvider(uuid: string, ctx?: CallContext): Promise<boolean>;
  getInventories(uuid: string, ctx?: CallContext): Promise<Inventories>;
  /** What is allocated from a provider, per resource class. */
  getProviderUsages(uuid: string, ctx?: CallContext): Promise<Record<string, number>>;
  /** A provider's traits. */
  getTraits(uuid: string, ctx?: CallContext): Promise<string[]>;
  /**
   * Makes the provider's inventories exactly `inventories`. Without `generation` it reads the current one and retries
   * on conflicts; a write is skipped when nothing changes (so periodic reports do not bump the generation).
   */
  setInventory(uuid: string, inventories: Record<string, InventoryInput>, opts?: { generation?: number } & CallContext): Promise<Inventories>;
  /** Makes the provider's traits exactly `traits`, creating missing CUSTOM_ traits; retries on conflicts. */
  setTraits(uuid: string, traits: string[], ctx?: CallContext): Promise<number>;
  /** Makes the provider's aggregates exactly `aggregates`; retries on conflicts. */
  setAggregates(uuid: string, aggregates: string[], ctx?: CallContext): Promise<number>;
  ensureResourceClass(name: string, ctx?: CallContext): Promise<void>;
  ensureTrait(name: string, ctx?: CallContext): Promise<void>;
  getUsages(projectId: string, userId?: string, ctx?: CallContext): Promise<Record<string, Record<string, number>>>;
}

const INVENTORY_DEFAULTS = { reserved: 0, min_unit: 1, max_unit: 2147483647, step_size: 1, allocation_ratio: 1 };

export function createPlacementClient(opts: PlacementClientOptions): PlacementClient {
  const endpoint = opts.endpoint;
  let found = typeof endpoint === 'string' ? endpoint.replace(/\/+$/, '') : undefined;
  async function baseUrl(): Promise<string> {
    if (found) return found;
    const url = typeof endpoint === 'string' ? endpoint : await endpoint();
    if (!url) throw new ServiceUnavailable('Placement is not in the catalog.');
    return (found = url.replace(/\/+$/, ''));
  }
  const retries = opts.conflictRetries ?? 5;

  async function request<T>(method: string, path: string, body?: unknown, ctx: CallContext = {}, okMissing = false): Promise<T | undefined> {
    const headers: Record<string, string> = {
      accept: 'application/json', 'openstack-api-version': `placement ${PLACEMENT_MICROVERSION}`, 'x-auth-token': await opts.token(),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (ctx.globalRequestId) headers['x-openstack-request-id'] = ctx.globalRequestId;
    const base = await baseUrl();
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new ServiceUnavailable(`Placement at ${base} is unreachable: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 404 && okMissing) return undefined;
    if (!res.ok) {
      let error: { code?: string; detail?: string } | undefined;
      try { error = (JSON.parse(text) as { errors?: { code?: string; detail?: string }[] }).errors?.[0]; } catch { /* not Placement's body */ }
      throw new PlacementRequestError(res.status, error?.code ?? 'placement.undefined_code', error?.detail ?? `Placement answered ${res.status} to ${method} ${path}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function retrying<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (!isConcurrentUpdate(err) || attempt >= retries) throw err;
      }
    }
  }

  const client: PlacementClient = {
    async getAllocationCandidates(query, ctx) {
      return (await request<AllocationCandidates>('GET', `/allocation_candidates?${candidateQueryString(query)}`, undefined, ctx))!;
    },
    async getAllocations(consumer, ctx) {
      return (await request<ConsumerAllocations>('GET', `/allocations/${encodeURIComponent(consumer)}`, undefined, ctx))!;
    },
    async putAllocations(consumer, body, ctx) {
      await request('PUT', `/allocations/${encodeURIComponent(consumer)}`, body, ctx);
    },
    async postAllocations(bodies, ctx) {
      await request('POST', '/allocations', bodies, ctx);
    },
    async deleteAllocations(consumer, ctx) {
      return existed(() => request('DELETE', `/allocations/${encodeURIComponent(consumer)}`, undefined, ctx));
    },
    async getProvider(uuid, ctx) {
      return request<ResourceProvider>('GET', `/resource_providers/${encodeURIComponent(uuid)}`, undefined, ctx, true);
    },
    async listProviders(filter = {}, ctx) {
      const q = new URLSearchParams();
      if (filter.name !== undefined) q.set('name', filter.name);
      if (filter.inTree !== undefined) q.set('in_tree', filter.inTree);
      if (filter.resources) q.set('resources', resourcesParam(filter.resources));
      return (await request<{ resource_providers: ResourceProvider[] }>('GET', `/resource_providers?${q}`, undefined, ctx))!.resource_providers;
    },
    async ensureResourceProvider(p, ctx) {
      const existing = await client.getProvider(p.uuid, ctx);
      if (existing) return existing;
      try {
        return (await request<ResourceProvider>('POST', '/resource_providers', { uuid: p.uuid, name: p.name, parent_provider_uuid: p.parentUuid ?? null }, ctx))!;
      } catch (err) {
        // Another agent created it first: use theirs; a different provider holding the name is a real conflict.
        const raced = err instanceof PlacementRequestError && err.status === 409 ? await client.getProvider(p.uuid, ctx) : undefined;
        if (raced) return raced;
        throw err;
      }
    },
    async deleteResourceProvider(uuid, ctx) {
      return existed(() => request('DELETE', `/resource_providers/${encodeURIComponent(uuid)}`, undefined, ctx));
    },
    async getInventories(uuid, ctx) {
      return (await request<Inventories>('GET', `/resource_providers/${encodeURIComponent(uuid)}/inventories`, undefined, ctx))!;
    },
    async getProviderUsages(uuid, ctx) {
      return (await request<{ usages: Record<string, number> }>('GET', `/resource_providers/${encodeURIComponent(uuid)}/usages`, undefined, ctx))!.usages;
    },
    async getTraits(uuid, ctx) {
      return (await request<{ traits: string[] }>('GET', `/resource_providers/${encodeURIComponent(uuid)}/traits`, undefined, ctx))!.traits;
    },
    async setInventory(uuid, inventories, o = {}) {
      const path = `/resource_providers/${encodeURIComponent(uuid)}/inventories`;
      const put = async (generation: number) => (await request<Inventories>('PUT', path, { resource_provider_generation: generation, inventories }, o))!;
      if (o.generation !== undefined) return put(o.generation);
      return retrying(async () => {
        const current = await client.getInventories(uuid, o);
        return sameInventories(current.inventories, inventories) ? current : put(current.resource_provider_generation);
      });
    },
    async setTraits(uuid, traits, ctx) {
      for (const t of traits.filter((n) => n.startsWith('CUSTOM_'))) await client.ensureTrait(t, ctx);
      const path = `/resource_providers/${encodeURIComponent(uuid)}/traits`;
      return retrying(async () => {
        const current = (await request<{ traits: string[]; resource_provider_generation: number }>('GET', path, undefined, ctx))!;
        if (sameSet(current.traits, traits)) return current.resource_provider_generation;
        const r = await request<{ resource_provider_generation: number }>('PUT', path, { traits, resource_provider_generation: current.resource_provider_generation }, ctx);
        return r!.resource_provider_generation;
      });
    },
    async setAggregates(uuid, aggregates, ctx) {
      const path = `/resource_providers/${encodeURIComponent(uuid)}/aggregates`;
      return retrying(async () => {
        const current = (await request<{ aggregates: string[]; resource_provider_generation: number }>('GET', path, undefined, ctx))!;
        if (sameSet(current.aggregates, aggregates)) return current.resource_provider_generation;
        const r = await request<{ resource_provider_generation: number }>('PUT', path, { aggregates, resource_provider_generation: current.resource_provider_generation }, ctx);
        return r!.resource_provider_generation;
      });
    },
    async ensureResourceClass(name, ctx) {
      await request('PUT', `/resource_classes/${encodeURIComponent(name)}`, undefined, ctx);
    },
    async ensureTrait(name, ctx) {
      await request('PUT', `/traits/${encodeURIComponent(name)}`, undefined, ctx);
    },
    async getUsages(projectId, userId, ctx) {
      const q = new URLSearchParams({ project_id: projectId, ...(userId ? { user_id: userId } : {}) });
      return (await request<{ usages: Record<string, Record<string, number>> }>('GET', `/usages?${q}`, undefined, ctx))!.usages;
    },
  };
  return client;
}

/** Runs a DELETE: true when it removed something, false when there was nothing (404). */
async function existed(work: () => Promise<unknown>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (err) {
    if (err instanceof PlacementRequestError && err.status === 404) return false;
    throw err;
  }
}

function resourcesParam(resources: Record<string, number>): string {
  return Object.entries(resources).map(([rc, n]) => `${rc}:${n}`).join(',');
}

/** The query string of GET /allocation_candidates for a structured request. */
export function candidateQueryString(query: CandidateQuery): string {
  const q = new URLSearchParams();
  const addGroup = (suffix: string, g: CandidateGroup) => {
    q.append(`resources${suffix}`, resourcesParam(g.resources));
    if (g.required?.length) q.append(`required${suffix}`, g.required.join(','));
    for (const anyOf of g.memberOf ?? []) q.append(`member_of${suffix}`, anyOf.length > 1 ? `in:${anyOf.join(',')}` : anyOf[0]);
    if (g.inTree) q.append(`in_tree${suffix}`, g.inTree);
  };
  if (Object.keys(query.resources).length > 0) addGroup('', query);
  for (const [suffix, g] of Object.entries(query.groups ?? {})) addGroup(suffix, g);
  if (query.groupPolicy) q.set('group_policy', query.groupPolicy);
  if (query.limit !== undefined) q.set('limit', String(query.limit));
  if (query.rootRequired?.length) q.set('root_required', query.rootRequired.join(','));
  for (const s of query.sameSubtree ?? []) q.append('same_subtree', s.join(','));
  return q.toString();
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

function sameInventories(current: Record<string, InventoryInput>, wanted: Record<string, InventoryInput>): boolean {
  const keys = Object.keys(wanted);
  if (!sameSet(Object.keys(current), keys)) return false;
  return keys.every((rc) => {
    const a = { ...INVENTORY_DEFAULTS, ...current[rc] };
    const b = { ...INVENTORY_DEFAULTS, ...wanted[rc] };
    return (Object.keys(a) as (keyof typeof a)[]).every((k) => a[k] === b[k]);
  });
}
