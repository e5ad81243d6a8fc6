// In-memory views of small, hot tables (roles, implied roles, catalog) and a generation bumped on every write.
// Anything cached against an older generation is stale; validations cached by the token provider use it too.
import type { IdentityDb, RoleRow } from '../db/tables.ts';
import { asBool, parseJson } from '../db/crud.ts';
import { loadImpliedMap } from './effective-roles.ts';

export interface CatalogEntry {
  id: string;
  type: string;
  name: string;
  endpoints: { id: string; interface: string; region_id: string | null; region: string | null; url: string }[];
}

export interface IdentityState {
  generation(): number;
  /** Call after any write that can change tokens, roles or the catalog. */
  changed(): void;
  roles(): Promise<Map<string, RoleRow>>;
  implied(): Promise<Map<string, string[]>>;
  catalog(): Promise<CatalogEntry[]>;
}

export function createIdentityState(db: IdentityDb, opts: { maxAgeMs?: number } = {}): IdentityState {
  // Another process sharing the database may write too; cached views are also refreshed after maxAgeMs.
  const maxAgeMs = opts.maxAgeMs ?? 2000;
  let generation = 0;
  let loadedAt = 0;
  let cache: Promise<{ roles: Map<string, RoleRow>; implied: Map<string, string[]>; catalog: CatalogEntry[] }> | undefined;

  async function load() {
    const roles = new Map((await db.selectFrom('roles').selectAll().execute()).map((r) => [r.id, r]));
    const implied = await loadImpliedMap(db);
    const services = await db.selectFrom('services').selectAll().execute();
    const endpoints = await db.selectFrom('endpoints').selectAll().execute();
    const catalog = services.filter((s) => asBool(s.enabled)).map((s) => ({
      id: s.id, type: s.type, name: s.name || parseJson<{ name?: string }>(s.extra, {}).name || '',
      endpoints: endpoints.filter((e) => e.service_id === s.id && asBool(e.enabled))
        .map((e) => ({ id: e.id, interface: e.interface, region_id: e.region_id, region: e.region_id, url: e.url })),
    }));
    return { roles, implied, catalog };
  }
  function current() {
    if (!cache || Date.now() - loadedAt > maxAgeMs) {
      loadedAt = Date.now();
      cache = load();
      cache.catch(() => { cache = undefined; });
    }
    return cache;
  }
  return {
    generation: () => generation,
    changed: () => { generation++; cache = undefined; },
    roles: async () => (await current()).roles,
    implied: async () => (await current()).implied,
    catalog: async () => (await current()).catalog,
  };
}
