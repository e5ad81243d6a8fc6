// Placement's wire types (microversion 1.39) as other services read and send them.

export interface ResourceProvider {
  uuid: string;
  name: string;
  generation: number;
  parent_provider_uuid: string | null;
  root_provider_uuid: string;
  links: { rel: string; href: string }[];
}

/** An inventory as sent: only total is required. */
export interface InventoryInput {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

export type Inventory = Required<InventoryInput>;

export interface Inventories {
  resource_provider_generation: number;
  inventories: Record<string, Inventory>;
}

/** Amounts per resource class, e.g. { VCPU: 2, MEMORY_MB: 2048 }. */
export type Resources = Record<string, number>;

/** The body of PUT /allocations/{consumer} (and one entry of POST /allocations) at 1.38+. */
export interface AllocationsBody {
  allocations: Record<string, { resources: Resources }>;
  project_id: string;
  user_id: string;
  /** null when the consumer is expected to hold nothing yet. */
  consumer_generation: number | null;
  consumer_type: string;
  mappings?: Record<string, string[]>;
}

export interface ConsumerAllocations {
  allocations: Record<string, { generation: number; resources: Resources }>;
  /** Absent when the consumer holds nothing. */
  project_id?: string;
  user_id?: string;
  consumer_generation?: number;
  consumer_type?: string;
}

export interface AllocationRequest {
  allocations: Record<string, { resources: Resources }>;
  mappings: Record<string, string[]>;
}

export interface ProviderSummary {
  resources: Record<string, { capacity: number; used: number }>;
  traits: string[];
  parent_provider_uuid: string | null;
  root_provider_uuid: string;
}

export interface AllocationCandidates {
  allocation_requests: AllocationRequest[];
  provider_summaries: Record<string, ProviderSummary>;
}

/** One request group of GET /allocation_candidates. Traits prefixed with ! are forbidden. */
export interface CandidateGroup {
  resources: Resources;
  required?: string[];
  /** Each inner list is "member of any of these"; the lists are AND'd. Prefix an aggregate with ! to forbid it. */
  memberOf?: string[][];
  inTree?: string;
}

export interface CandidateQuery extends CandidateGroup {
  /** Granular groups by suffix (e.g. '_NET1'), each satisfied by one provider. */
  groups?: Record<string, CandidateGroup>;
  groupPolicy?: 'none' | 'isolate';
  limit?: number;
  rootRequired?: string[];
  sameSubtree?: string[][];
}
