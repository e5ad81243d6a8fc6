// Rows to Placement's JSON, per microversion. Links are relative to the service root, as Placement writes them.
import type { FastifyRequest } from 'fastify';
import type { Inventory } from '../domain/inventory.ts';
import type { ProviderRecord } from '../db/providers-repo.ts';
import { atLeast } from './microversion.ts';

export function providerLinks(req: FastifyRequest, uuid: string): { rel: string; href: string }[] {
  const self = `/resource_providers/${uuid}`;
  const rels = ['inventories', 'usages'];
  if (atLeast(req, 1)) rels.push('aggregates');
  if (atLeast(req, 6)) rels.push('traits');
  if (atLeast(req, 11)) rels.push('allocations');
  return [{ rel: 'self', href: self }, ...rels.map((rel) => ({ rel, href: `${self}/${rel}` }))];
}

export function providerView(req: FastifyRequest, rp: ProviderRecord): Record<string, unknown> {
  const view: Record<string, unknown> = { uuid: rp.uuid, name: rp.name, generation: rp.generation, links: providerLinks(req, rp.uuid) };
  if (atLeast(req, 14)) {
    view.parent_provider_uuid = rp.parent_uuid;
    view.root_provider_uuid = rp.root_uuid;
  }
  return view;
}

export function inventoryView(inv: Inventory): Record<string, number> {
  return {
    total: inv.total, reserved: inv.reserved, min_unit: inv.minUnit, max_unit: inv.maxUnit,
    step_size: inv.stepSize, allocation_ratio: inv.allocationRatio,
  };
}

export function inventoriesView(generation: number, inventories: Map<string, Inventory>): Record<string, unknown> {
  return {
    resource_provider_generation: generation,
    inventories: Object.fromEntries([...inventories].map(([rc, inv]) => [rc, inventoryView(inv)])),
  };
}

export function resourceClassView(name: string): Record<string, unknown> {
  return { name, links: [{ rel: 'self', href: `/resource_classes/${name}` }] };
}

/** The latest of the rows' update times, for Last-Modified. */
export function lastModified(rows: { updated_at?: string; created_at?: string }[]): string | undefined {
  let latest: string | undefined;
  for (const r of rows) {
    const t = r.updated_at ?? r.created_at;
    if (t && (!latest || t > latest)) latest = t;
  }
  return latest;
}
