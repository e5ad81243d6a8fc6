// GET /v2/images query parameters, read the way Glance reads them: known filters, `in:`/`eq:` and comparison
// operators, repeated `tag`, both sorting syntaxes, and every other parameter as a custom property filter.
import { BadRequest } from '#lib/errors.ts';
import { MEMBER_STATUSES, VISIBILITIES } from '../domain/image-model.ts';
import type { MemberStatus, Visibility } from '../domain/image-model.ts';
import { SORT_KEYS } from '../db/image-list.ts';
import type { Comparison, ListQuery, SortDir, SortKey } from '../db/image-list.ts';

type Query = Record<string, string | string[] | undefined>;
export type ParsedList = Omit<ListQuery, 'viewer' | 'marker' | 'limit'> & { marker?: string; limit?: number };

const all = (q: Query, key: string): string[] => {
  const v = q[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
const one = (q: Query, key: string): string | undefined => all(q, key)[0];

const COLUMNS = ['id', 'name', 'status', 'owner', 'disk_format', 'container_format', 'checksum', 'os_hash_value'] as const;
const WITH_IN = new Set(['id', 'name', 'status', 'disk_format', 'container_format']);
const COMPARISONS = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']);
const HANDLED = new Set([...COLUMNS, 'visibility', 'member_status', 'limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'tag', 'size_min', 'size_max', 'os_hidden', 'protected', 'created_at', 'updated_at']);

function sortKey(key: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(key)) throw new BadRequest(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  return key as SortKey;
}
function sortDir(dir: string): SortDir {
  if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`Invalid sort direction: ${dir}`);
  return dir;
}

function sorting(q: Query): ListQuery['sort'] {
  const sort = one(q, 'sort');
  if (sort !== undefined) {
    if (q.sort_key !== undefined || q.sort_dir !== undefined) throw new BadRequest('Old and new sorting syntax cannot be combined');
    return sort.trim().split(',').map((part) => {
      const [key, dir] = part.split(':');
      return { key: sortKey(key.trim()), dir: sortDir((dir ?? 'desc').trim()) };
    });
  }
  const keys = all(q, 'sort_key').map((k) => sortKey(k.trim()));
  const dirs = all(q, 'sort_dir').map((d) => sortDir(d.trim()));
  if (dirs.length > 1 && dirs.length !== keys.length) throw new BadRequest('Number of sort dirs does not match the number of sort keys');
  if (keys.length === 0) return [{ key: 'created_at', dir: dirs[0] ?? 'desc' }];
  return keys.map((key, i) => ({ key, dir: dirs.length > 1 ? dirs[i] : dirs[0] ?? 'desc' }));
}

function bool(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v !== 'true' && v !== 'false') throw new BadRequest(`Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`);
  return v === 'true';
}

function integer(name: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new BadRequest(`Unable to filter on a range with a non-numeric value (${name}=${value}).`);
  return Number(value);
}

function timeFilter(column: 'created_at' | 'updated_at', raw: string): ListQuery['times'][number] {
  const colon = raw.indexOf(':');
  const op = colon > 0 ? raw.slice(0, colon) : '';
  const [operator, value] = COMPARISONS.has(op) ? [op as Comparison, raw.slice(colon + 1)] : ['eq' as Comparison, raw];
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new BadRequest(`Bad "${column}" query filter format. Use ISO 8601 DateTime notation.`);
  return { column, op: operator, value: new Date(ms).toISOString() };
}

/** Parses the list query; throws 400 with Glance's messages for what it cannot use. */
export function parseListQuery(q: Query): ParsedList {
  const visibility = one(q, 'visibility');
  if (visibility !== undefined && visibility !== 'all' && !(VISIBILITIES as readonly string[]).includes(visibility)) {
    throw new BadRequest(`Invalid visibility value: ${visibility}`);
  }
  const memberStatus = one(q, 'member_status') ?? 'accepted';
  if (memberStatus !== 'all' && !(MEMBER_STATUSES as readonly string[]).includes(memberStatus)) throw new BadRequest(`Invalid status: ${memberStatus}`);
  if (q['changes-since'] !== undefined) throw new BadRequest('The "changes-since" filter is no longer available on v2.');
  const limitText = one(q, 'limit');
  if (limitText !== undefined && !/^\d+$/.test(limitText.trim())) {
    throw new BadRequest(/^-\d+$/.test(limitText.trim()) ? 'limit param must be positive' : 'limit param must be an integer');
  }
  const columns: ListQuery['columns'] = {};
  for (const column of COLUMNS) {
    const raw = one(q, column);
    if (raw === undefined) continue;
    if (WITH_IN.has(column) && raw.startsWith('in:')) columns[column] = raw.slice(3).split(',').map((v) => v.replace(/^"(.*)"$/, '$1'));
    else columns[column] = [WITH_IN.has(column) && raw.startsWith('eq:') ? raw.slice(3) : raw];
  }
  const properties: Record<string, string> = {};
  for (const key of Object.keys(q)) if (!HANDLED.has(key)) properties[key] = one(q, key)!;
  const protectedText = one(q, 'protected');
  const sizeMin = one(q, 'size_min');
  const sizeMax = one(q, 'size_max');
  return {
    visibility: visibility as Visibility | 'all' | undefined, memberStatus: memberStatus as MemberStatus | 'all', columns, properties,
    protected: protectedText === undefined ? undefined : bool('protected', protectedText),
    osHidden: bool('os_hidden', one(q, 'os_hidden') ?? 'false'),
    sizeMin: sizeMin === undefined ? undefined : integer('size_min', sizeMin),
    sizeMax: sizeMax === undefined ? undefined : integer('size_max', sizeMax),
    times: [...all(q, 'created_at').map((v) => timeFilter('created_at', v)), ...all(q, 'updated_at').map((v) => timeFilter('updated_at', v))],
    tags: all(q, 'tag').map((t) => t.trim()),
    sort: sorting(q), marker: one(q, 'marker'), limit: limitText === undefined ? undefined : Number(limitText),
  };
}
