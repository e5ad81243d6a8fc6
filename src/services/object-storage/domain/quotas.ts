// Container quotas (Swift's container_quotas middleware): X-Container-Meta-Quota-Bytes and -Quota-Count cap what a
// PUT may add; the check uses the announced length, as Swift's does, so a chunked upload is checked at 0 bytes.
import { StratusError } from '#lib/errors.ts';
import { badRequest } from './errors.ts';

const overQuota = () => new StratusError(413, 'RequestEntityTooLarge', 'Upload exceeds quota.');

/** Refuses quota metadata that is not a non-negative integer (400), before it is stored. */
export function checkQuotaMeta(meta: Record<string, string | undefined>): void {
  for (const key of ['quota-bytes', 'quota-count']) {
    const v = meta[key];
    if (v !== undefined && !/^\d+$/.test(v)) throw badRequest(`Invalid X-Container-Meta-${key === 'quota-bytes' ? 'Quota-Bytes' : 'Quota-Count'}: expected a non-negative integer.`);
  }
}

/** Throws 413 when adding an object of `size` bytes (a new name when `newObject`) would pass the container's quotas. */
export function checkContainerQuota(meta: Record<string, string>, used: { bytes: number; count: number }, add: { size: number; newObject: boolean }): void {
  const bytes = meta['quota-bytes'];
  if (bytes !== undefined && /^\d+$/.test(bytes) && used.bytes + add.size > Number(bytes)) throw overQuota();
  const count = meta['quota-count'];
  if (count !== undefined && /^\d+$/.test(count) && add.newObject && used.count + 1 > Number(count)) throw overQuota();
}
