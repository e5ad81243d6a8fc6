// Neutron's list semantics over a collection's visible items: attribute filters (a repeated parameter means OR),
// tag filters, sort_key/sort_dir, limit/marker with `<collection>_links`, and `fields=`. Items arrive already
// narrowed to what the caller may see; this shapes the answer.
import type { FastifyRequest } from 'fastify';
import { NeutronError } from '../domain/errors.ts';

type Item = Record<string, unknown>;
const RESERVED = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'tags', 'tags-any', 'not-tags', 'not-tags-any']);

const many = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const bad = (msg: string) => new NeutronError(400, 'HTTPBadRequest', msg);

function scalarMatches(value: unknown, wanted: string): boolean {
  if (typeof value === 'boolean') return ['true', '1'].includes(wanted.toLowerCase()) === value && ['true', 'false', '1', '0'].includes(wanted.toLowerCase());
  if (value === null || value === undefined) return wanted === '' || wanted === 'None';
  return String(value) === wanted;
}

/** `fixed_ips=ip_address=10.0.0.5` and `fixed_ips=subnet_id=…` match any element with that key and value. */
function valueMatches(value: unknown, wanted: string): boolean {
  if (!Array.isArray(value)) return scalarMatches(value, wanted);
  const eq = wanted.indexOf('=');
  return value.some((el) => {
    if (el !== null && typeof el === 'object' && eq > 0) return scalarMatches((el as Item)[wanted.slice(0, eq)], wanted.slice(eq + 1));
    return scalarMatches(el, wanted);
  });
}

function tagFilter(query: Item): (item: Item) => boolean {
  const split = (k: string) => many(query[k]).flatMap((v) => v.split(',')).filter(Boolean);
  const all = split('tags');
  const anyOf = split('tags-any');
  const notAll = split('not-tags');
  const notAny = split('not-tags-any');
  return (item) => {
    const tags = new Set((item.tags as string[] | undefined) ?? []);
    if (all.length && !all.every((t) => tags.has(t))) return false;
    if (anyOf.length && !anyOf.some((t) => tags.has(t))) return false;
    if (notAll.length && notAll.every((t) => tags.has(t))) return false;
    if (notAny.length && notAny.some((t) => tags.has(t))) return false;
    return true;
  };
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : 1;
}

export interface ListOptions {
  /** The collection's name in the URL and the body: `networks`, `security_groups`… */
  collection: string;
  path: string;
  /** Cap from pagination_max_limit; -1 for none. */
  maxLimit: number;
}

/** Applies the request's list parameters to `items`; answers `{<collection>: [...], <collection>_links?: [...]}`. */
export function listResponse(req: FastifyRequest, items: Item[], opts: ListOptions): Item {
  const query = (req.query ?? {}) as Item;
  const known = new Set(items.length ? Object.keys(items[0]) : []);
  let result = items;
  for (const [key, raw] of Object.entries(query)) {
    if (RESERVED.has(key)) continue;
    if (items.length && !known.has(key)) throw bad(`${key} is invalid attribute for filtering`);
    const wanted = many(raw);
    result = result.filter((item) => wanted.some((w) => valueMatches(item[key], w)));
  }
  result = result.filter(tagFilter(query));

  const keys = many(query.sort_key);
  const dirs = many(query.sort_dir);
  if (dirs.length && dirs.length !== keys.length) throw bad('The number of sort_keys and sort_dirs must be same');
  for (const d of dirs) if (d !== 'asc' && d !== 'desc') throw bad(`${d} is an invalid value for sort_dir, valid value is 'asc' or 'desc'`);
  for (const k of keys) if (items.length && !known.has(k)) throw bad(`${k} is an invalid attribute for sort_keys`);
  // page_reverse walks the same order backwards from the marker; the page is turned round again below.
  const reverse = ['true', '1'].includes((many(query.page_reverse)[0] ?? '').toLowerCase());
  const order = [...keys.map((k, i) => ({ k, desc: (dirs[i] === 'desc') !== reverse })), { k: 'id', desc: (dirs[0] === 'desc') !== reverse }];
  result = [...result].sort((a, b) => {
    for (const { k, desc } of order) {
      const c = compare(a[k], b[k]);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });

  const markerText = many(query.marker)[0];
  if (markerText !== undefined) {
    const at = result.findIndex((i) => i.id === markerText);
    if (at < 0 && !items.some((i) => i.id === markerText)) throw bad(`Marker ${markerText} could not be found.`);
    result = result.slice(at + 1);
  }
  const limitText = many(query.limit)[0];
  let limit = limitText === undefined ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) throw bad(`Limit must be an integer 0 or greater and not '${limitText}'`);
  if (opts.maxLimit > 0 && (limit === 0 || limit > opts.maxLimit)) limit = opts.maxLimit;
  const more = limit > 0 && result.length > limit;
  if (limit > 0) result = result.slice(0, limit);
  if (reverse) result = [...result].reverse();

  const fields = many(query.fields).flatMap((f) => f.split(',')).filter(Boolean);
  const shaped = fields.length ? result.map((item) => Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]]))) : result;
  const body: Item = { [opts.collection]: shaped };
  if (more || markerText !== undefined) {
    const base = `${req.protocol}://${req.headers.host ?? req.host}${opts.path}`;
    const keep = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (k !== 'marker' && k !== 'page_reverse') for (const s of many(v)) keep.append(k, s);
    const link = (rel: string, marker: unknown, reverse: boolean) => {
      const q = new URLSearchParams(keep);
      q.set('marker', String(marker));
      if (reverse) q.set('page_reverse', 'True');
      return { rel, href: `${base}?${q.toString()}` };
    };
    const links = [];
    // Forwards, `more` means a next page; backwards, it means a previous one. A marker means the other side exists.
    const [further, back] = reverse ? ['previous', 'next'] : ['next', 'previous'];
    if (more && result.length) links.push(link(further, (reverse ? result[0] : result.at(-1)!).id, reverse));
    if (markerText !== undefined && result.length) links.push(link(back, (reverse ? result.at(-1)! : result[0]).id, !reverse));
    body[`${opts.collection}_links`] = links;
  }
  return body;
}

/** `fields=` on a single GET. */
export function showFields(req: FastifyRequest, item: Item): Item {
  const fields = many((req.query as Item | undefined)?.fields).flatMap((f) => f.split(',')).filter(Boolean);
  return fields.length ? Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]])) : item;
}
