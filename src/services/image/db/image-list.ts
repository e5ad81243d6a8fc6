// The image list query: who sees what (Glance's rules for owners, members, public and community images), filters,
// multi-key sorting and marker pagination, all in SQL so a page costs the same whatever the number of images.
import { sql } from 'kysely';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Image, MemberStatus, Visibility } from '../domain/image-model.ts';
import type { ImageDb, ImageTables } from './tables.ts';
import { hydrate } from './images-repo.ts';

export const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';
export type Comparison = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte';

export interface ListQuery {
  viewer: { projectId?: string; isAdmin: boolean };
  visibility?: Visibility | 'all';
  memberStatus: MemberStatus | 'all';
  /** Column filters: one value, or several for the `in:` operator. */
  columns: Partial<Record<'id' | 'name' | 'status' | 'owner' | 'disk_format' | 'container_format' | 'checksum' | 'os_hash_value', string[]>>;
  protected?: boolean;
  osHidden: boolean;
  sizeMin?: number;
  sizeMax?: number;
  times: { column: 'created_at' | 'updated_at'; op: Comparison; value: string }[];
  tags: string[];
  properties: Record<string, string>;
  sort: { key: SortKey; dir: SortDir }[];
  /** The image after which the page starts (already checked visible). */
  marker?: Image;
  limit: number;
}

type EB = ExpressionBuilder<ImageTables, 'images'>;
const OPS: Record<Comparison, '=' | '<>' | '>' | '>=' | '<' | '<='> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** Sort expressions: NULLs sort as the lowest value, the same on every database. */
function sortExpr(key: SortKey): Expression<unknown> {
  if (key === 'size') return sql`coalesce(${sql.ref('images.size')}, -1)`;
  if (key === 'name' || key === 'container_format' || key === 'disk_format') return sql`coalesce(${sql.ref(`images.${key}`)}, '')`;
  return sql.ref(`images.${key}`);
}

function markerValue(key: SortKey, m: Image): unknown {
  switch (key) {
    case 'name': return m.name ?? '';
    case 'status': return m.status;
    case 'container_format': return m.containerFormat ?? '';
    case 'disk_format': return m.diskFormat ?? '';
    case 'size': return m.size ?? -1;
    case 'id': return m.id;
    case 'created_at': return m.createdAt;
    case 'updated_at': return m.updatedAt;
  }
}

function visible(eb: EB, q: ListQuery): Expression<SqlBool> {
  const me = q.viewer.projectId;
  const parts: Expression<SqlBool>[] = [];
  if (!q.viewer.isAdmin) {
    const seen: Expression<SqlBool>[] = [eb('images.visibility', 'in', ['public', 'community'])];
    if (me !== undefined) {
      seen.push(eb('images.owner', '=', me));
      let members = eb.selectFrom('image_members').select('image_members.member')
        .whereRef('image_members.image_id', '=', 'images.id').where('image_members.member', '=', me);
      if (q.memberStatus !== 'all') members = members.where('image_members.status', '=', q.memberStatus);
      seen.push(eb.and([eb('images.visibility', '=', 'shared'), eb.exists(members)]));
    }
    parts.push(eb.or(seen));
  }
  if (q.visibility !== undefined && q.visibility !== 'all') parts.push(eb('images.visibility', '=', q.visibility));
  else if (q.visibility === undefined) {
    // Community images appear only when asked for, or to their owner.
    parts.push(me === undefined ? eb('images.visibility', '<>', 'community') : eb.or([eb('images.owner', '=', me), eb('images.visibility', '<>', 'community')]));
  }
  return eb.and(parts);
}

function filters(eb: EB, q: ListQuery): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [visible(eb, q), eb('images.os_hidden', '=', q.osHidden)];
  for (const [column, values] of Object.entries(q.columns)) {
    if (values) parts.push(values.length === 1 ? eb(`images.${column as 'id'}`, '=', values[0]) : eb(`images.${column as 'id'}`, 'in', values));
  }
  if (q.protected !== undefined) parts.push(eb('images.protected', '=', q.protected));
  if (q.sizeMin !== undefined) parts.push(eb('images.size', '>=', q.sizeMin));
  if (q.sizeMax !== undefined) parts.push(eb('images.size', '<=', q.sizeMax));
  for (const t of q.times) parts.push(eb(`images.${t.column}`, OPS[t.op], t.value));
  for (const tag of q.tags) {
    parts.push(eb.exists(eb.selectFrom('image_tags').select('image_tags.value').whereRef('image_tags.image_id', '=', 'images.id').where('image_tags.value', '=', tag)));
  }
  for (const [name, value] of Object.entries(q.properties)) {
    parts.push(eb.exists(eb.selectFrom('image_properties').select('image_properties.name').whereRef('image_properties.image_id', '=', 'images.id')
      .where('image_properties.name', '=', name).where('image_properties.value', '=', value)));
  }
  if (q.marker) {
    // Keyset pagination: rows strictly after the marker in the sort order.
    const m = q.marker;
    parts.push(eb.or(q.sort.map((s, i) => eb.and([
      ...q.sort.slice(0, i).map((p) => eb(sortExpr(p.key), '=', markerValue(p.key, m))),
      eb(sortExpr(s.key), s.dir === 'asc' ? '>' : '<', markerValue(s.key, m)),
    ]))));
  }
  return eb.and(parts);
}

/** One page of images. The sort always ends with created_at and id, so the order (and the marker) is total. */
export async function listImages(db: ImageDb, q: ListQuery): Promise<Image[]> {
  const sort = [...q.sort];
  const lastDir = sort[0]?.dir ?? 'desc';
  for (const key of ['created_at', 'id'] as const) if (!sort.some((s) => s.key === key)) sort.push({ key, dir: lastDir });
  const query = { ...q, sort };
  let select = db.selectFrom('images').selectAll('images').where((eb) => filters(eb, query));
  for (const s of sort) select = select.orderBy(sortExpr(s.key), s.dir);
  return hydrate(db, await select.limit(q.limit).execute());
}
