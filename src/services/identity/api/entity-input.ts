// Splits a request entity into known columns and Keystone "extra" attributes, and maps unique violations to 409.
import { isUniqueViolation, isForeignKeyViolation } from '#lib/db/index.ts';
import { BadRequest } from '#lib/errors.ts';
import { duplicate } from '../domain/errors.ts';

/** Attributes not in `known` are kept as extra, except a few that must never be stored verbatim. */
export function splitExtra(entity: Record<string, unknown>, known: readonly string[]): { known: Record<string, unknown>; extra: Record<string, unknown> } {
  const k: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entity)) {
    if (known.includes(key)) k[key] = value;
    else if (!['id', 'links', 'password'].includes(key)) extra[key] = value;
  }
  return { known: k, extra };
}

/** Runs a write; a unique violation becomes Keystone's 409, a dangling reference a 400. */
export async function storing<T>(kind: string, field: string, value: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicate(kind, field, value);
    if (isForeignKeyViolation(err)) throw new BadRequest(`The ${kind} refers to something that does not exist.`);
    throw err;
  }
}

/** Keystone's boolean query filters accept true/false/0/1 in any case. */
export function boolFilter(v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  const s = String(v).toLowerCase();
  if (['true', '1', 'yes'].includes(s)) return true;
  if (['false', '0', 'no'].includes(s)) return false;
  throw new BadRequest(`Expected a boolean value for the filter; got ${String(v)}.`);
}

/** Applies Keystone's inexact name filters (name__contains, __icontains, __startswith, __endswith and the i-variants). */
export function nameFilters<T extends { name: string }>(rows: T[], query: Record<string, unknown>): T[] {
  let out = rows;
  for (const [key, raw] of Object.entries(query)) {
    const m = /^name__(i?)(contains|startswith|endswith)$/.exec(key);
    if (!m) continue;
    const ci = m[1] === 'i';
    const needle = ci ? String(raw).toLowerCase() : String(raw);
    out = out.filter((r) => {
      const hay = ci ? r.name.toLowerCase() : r.name;
      return m[2] === 'contains' ? hay.includes(needle) : m[2] === 'startswith' ? hay.startsWith(needle) : hay.endsWith(needle);
    });
  }
  return out;
}
