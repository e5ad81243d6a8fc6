// Nova's quota resources and defaults, and the check that turns usage + request into Nova's over-quota message.
import { Forbidden } from '#lib/errors.ts';

export const QUOTA_DEFAULTS = {
  instances: 10, cores: 20, ram: 51200, metadata_items: 128, key_pairs: 100, server_groups: 10, server_group_members: 10,
  injected_files: 5, injected_file_content_bytes: 10240, injected_file_path_bytes: 255,
} as const;

export type QuotaResource = keyof typeof QUOTA_DEFAULTS;
export const QUOTA_RESOURCES = Object.keys(QUOTA_DEFAULTS) as QuotaResource[];

/** Throws Nova's 403 when any requested amount would take usage past its limit (-1 is unlimited). */
export function checkQuota(limits: Record<string, number>, usage: Record<string, number>, requested: Record<string, number>): void {
  const over = Object.keys(requested).filter((r) => limits[r] >= 0 && (usage[r] ?? 0) + requested[r] > limits[r]);
  if (!over.length) return;
  const req = over.map((r) => requested[r]).join(', ');
  const used = over.map((r) => usage[r] ?? 0).join(', ');
  const lim = over.map((r) => limits[r]).join(', ');
  const names = over.join(', ');
  throw new Forbidden(`Quota exceeded for ${names}: Requested ${req}, but already used ${used} of ${lim} ${names}`);
}
