// Compute's options, declared as data (section `compute` of stratus.yaml, env STRATUS_COMPUTE_<OPTION>).
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const computeOptions = {
  port: { type: 'number', default: 8774, min: 0, max: 65535, help: 'Port of the Compute API.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
  max_limit: { type: 'number', default: 1000, min: 1, max: 100000, help: 'Most items a list returns, whatever limit asks (Nova\'s api.max_limit).' },
} as const satisfies OptionSet;

export type ComputeOptions = OptionValues<typeof computeOptions>;
