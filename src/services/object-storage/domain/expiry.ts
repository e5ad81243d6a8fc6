// X-Delete-At and X-Delete-After: when an object stops existing (epoch seconds), checked on write.
import { badRequest } from './errors.ts';

/**
 * The delete-at time a request sets: undefined when it sets none, null when X-Remove-Delete-At clears it. Throws 400
 * for a non-integer or a time in the past.
 */
export function deleteAtFrom(h: { at?: string; after?: string; remove?: boolean }, nowSeconds: number): number | null | undefined {
  if (h.after !== undefined) {
    if (!/^\d+$/.test(h.after.trim())) throw badRequest('Non-integer X-Delete-After');
    return Math.floor(nowSeconds) + Number(h.after.trim());
  }
  if (h.at !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(h.at.trim())) throw badRequest('Non-integer X-Delete-At');
    const at = Math.floor(Number(h.at.trim()));
    if (at <= nowSeconds) throw badRequest('X-Delete-At in past');
    return at;
  }
  return h.remove ? null : undefined;
}

export const expired = (deleteAt: number | undefined, nowSeconds: number): boolean => deleteAt !== undefined && deleteAt <= nowSeconds;
