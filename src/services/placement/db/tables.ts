// Placement's tables as Kysely types: providers keyed by uuid, inventories and allocations keyed by provider and class.
import type { Kysely } from 'kysely';
import type { Dialect } from '#lib/db/index.ts';

export interface ResourceProviderRow {
  uuid: string;
  name: string;
  /** Bumped by every change to the provider's inventory, traits, aggregates or allocations (compare-and-swap). */
  generation: number;
  parent_uuid: string | null;
  root_uuid: string;
  created_at: string;
  updated_at: string;
}

export interface ResourceClassRow { name: string; standard: boolean | number; created_at: string }
export interface TraitRow { name: string; standard: boolean | number; created_at: string }

export interface InventoryRow {
  provider_uuid: string;
  resource_class: string;
  total: number;
  reserved: number;
  min_unit: number;
  max_unit: number;
  step_size: number;
  allocation_ratio: number;
  /** Σ allocations.used for this provider and class; maintained only by allocations-repo's write. */
  used: number;
  created_at: string;
  updated_at: string;
}

export interface ProviderTraitRow { provider_uuid: string; trait: string }
export interface ProviderAggregateRow { provider_uuid: string; aggregate_uuid: string }

/** A consumer exists while it has allocations; its generation guards concurrent rewrites of them. */
export interface ConsumerRow {
  uuid: string;
  project_id: string;
  user_id: string;
  /** Null for consumers written before microversion 1.38 ("unknown"). */
  consumer_type: string | null;
  generation: number;
  created_at: string;
  updated_at: string;
}

export interface AllocationRow {
  provider_uuid: string;
  resource_class: string;
  consumer_uuid: string;
  used: number;
  created_at: string;
}

export interface PlacementTables {
  resource_providers: ResourceProviderRow;
  resource_classes: ResourceClassRow;
  traits: TraitRow;
  inventories: InventoryRow;
  provider_traits: ProviderTraitRow;
  provider_aggregates: ProviderAggregateRow;
  consumers: ConsumerRow;
  allocations: AllocationRow;
}

export type PlacementDb = Kysely<PlacementTables>;

/** The database handle repositories take: the engine matters for row locks and isolation. */
export interface PlacementStore {
  db: PlacementDb;
  dialect: Dialect;
}
