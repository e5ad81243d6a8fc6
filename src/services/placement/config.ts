// Placement's options, declared as data (section `placement` of stratus.yaml, env STRATUS_PLACEMENT_<OPTION>).
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const placementOptions = {
  port: { type: 'number', default: 8778, min: 0, max: 65535, help: 'Port of the Placement API.' },
  service_password: { type: 'string', default: '', help: 'Password of the placement service user; empty means the one Identity\'s bootstrap stored in the data directory.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
  allocation_conflict_retry_count: {
    type: 'number', default: 10, min: 0, max: 1000,
    help: 'How many times an allocation write that lost a race on a provider generation is replayed before answering 409 concurrent_update.',
  },
  max_allocation_candidates: {
    type: 'number', default: 10000, min: -1, max: 10_000_000,
    help: 'Most allocation candidates one GET /allocation_candidates generates (a guard against wide provider trees); -1 for no limit.',
  },
  randomize_allocation_candidates: {
    type: 'boolean', default: false,
    help: 'Shuffle allocation candidates (and take a random sample under limit=), so schedulers spread load; off keeps discovery order.',
  },
  incomplete_consumer_project_id: {
    type: 'string', default: '00000000-0000-0000-0000-000000000000',
    help: 'Project recorded for allocations written before microversion 1.8, which carry none.',
  },
  incomplete_consumer_user_id: {
    type: 'string', default: '00000000-0000-0000-0000-000000000000',
    help: 'User recorded for allocations written before microversion 1.8, which carry none.',
  },
} as const satisfies OptionSet;

export type PlacementOptions = OptionValues<typeof placementOptions>;
