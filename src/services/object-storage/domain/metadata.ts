// User metadata in headers (X-<Kind>-Meta-<name>): read from a request with Swift's limits, written back as headers.
import { CONSTRAINTS } from './names.ts';
import { badRequest } from './errors.ts';

export type MetaKind = 'account' | 'container' | 'object';
export type Meta = Record<string, string>;

type Headers = Record<string, string | string[] | undefined>;

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

/**
 * The metadata a request sets: `X-<Kind>-Meta-Foo: v` sets foo, an empty value or `X-Remove-<Kind>-Meta-Foo` removes
 * it (as undefined). Throws 400 when a name or value is too long or the total is over Swift's limits.
 */
export function metaFromHeaders(kind: MetaKind, headers: Headers): Record<string, string | undefined> {
  const set = `x-${kind}-meta-`;
  const remove = `x-remove-${kind}-meta-`;
  const out: Record<string, string | undefined> = {};
  for (const [raw, v] of Object.entries(headers)) {
    const h = raw.toLowerCase();
    const value = headerValue(v);
    if (value === undefined) continue;
    if (h.startsWith(remove)) out[h.slice(remove.length)] = undefined;
    else if (h.startsWith(set)) {
      const name = h.slice(set.length);
      if (name === '') throw badRequest('Metadata name cannot be empty');
      if (Buffer.byteLength(name) > CONSTRAINTS.max_meta_name_length) throw badRequest(`Metadata name too long: ${set}${name}`);
      if (Buffer.byteLength(value) > CONSTRAINTS.max_meta_value_length) throw badRequest(`Metadata value longer than ${CONSTRAINTS.max_meta_value_length}: ${set}${name}`);
      out[name] = value === '' ? undefined : value;
    }
  }
  return out;
}

/** Applies changes to stored metadata and checks Swift's count and size limits on the result. */
export function mergeMeta(current: Meta, changes: Record<string, string | undefined>): Meta {
  const next: Meta = { ...current };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  checkMetaLimits(next);
  return next;
}

export function checkMetaLimits(meta: Meta): void {
  const entries = Object.entries(meta);
  if (entries.length > CONSTRAINTS.max_meta_count) throw badRequest(`Too many metadata items; max ${CONSTRAINTS.max_meta_count}`);
  const size = entries.reduce((s, [k, v]) => s + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > CONSTRAINTS.max_meta_overall_size) throw badRequest(`Total metadata too large; max ${CONSTRAINTS.max_meta_overall_size}`);
}

/** The response headers for stored metadata. */
export function metaHeaders(kind: MetaKind, meta: Meta): Record<string, string> {
  return Object.fromEntries(Object.entries(meta).map(([k, v]) => [`x-${kind}-meta-${k}`, v]));
}
