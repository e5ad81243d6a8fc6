// Identity's options, declared as data.
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const identityOptions = {
  port: { type: 'number', default: 5000, min: 0, max: 65535, help: 'Port of the Identity API.' },
  token_expiration: { type: 'number', default: 3600, min: 60, max: 7 * 86400, help: 'Token lifetime in seconds.' },
  password_hash_log2n: { type: 'number', default: 15, min: 10, max: 20, help: 'scrypt cost (log2 N) for new password hashes; each step doubles the work.' },
  max_active_keys: { type: 'number', default: 3, min: 2, max: 100, help: 'Token keys kept in the repository after a rotation (staged + primary + secondaries).' },
  list_limit: { type: 'number', default: 0, min: 0, max: 100000, help: 'Most entries a list returns; longer lists are cut and marked "truncated": true, as Keystone\'s list_limit. 0 for no limit.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
  revocation_refresh_ms: { type: 'number', default: 1000, min: 0, max: 60000, help: 'How often events written by other identity processes are picked up.' },
} as const satisfies OptionSet;

export type IdentityOptions = OptionValues<typeof identityOptions>;
