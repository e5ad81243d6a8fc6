// Compute's tables as Kysely types: flavors keyed by their public id (Nova's flavorid), ISO timestamps.
import type { Kysely } from 'kysely';

export interface FlavorRow {
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  is_public: boolean | number;
  disabled: boolean | number;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface FlavorExtraSpecRow { flavorid: string; key: string; value: string }
export interface FlavorProjectRow { flavorid: string; project_id: string }

export interface ComputeTables {
  flavors: FlavorRow;
  flavor_extra_specs: FlavorExtraSpecRow;
  flavor_projects: FlavorProjectRow;
}

export type ComputeDb = Kysely<ComputeTables>;
