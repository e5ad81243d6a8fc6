// Neutron's standard attributes shared by every resource: the revision number (bumped on every change, checked
// against If-Match) and tags.
import type { Kysely } from 'kysely';
import type { NetworkDb, NetworkTables, StandardTable } from './tables.ts';
import { revisionConflict } from '../domain/errors.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table is a parameter; every StandardTable has these columns
type AnyDb = Kysely<any>;

/**
 * Bumps a row's revision (and updated_at) with `changes`, only if the revision still equals `expected` when one is
 * given: a conditional update, so a concurrent writer cannot slip between check and write. Returns false when
 * the row is gone; throws RevisionNumberConstraintFailed (412) on a stale `expected`.
 */
export async function touchRow(db: Kysely<NetworkTables>, table: StandardTable, id: string, opts: { expected?: number; changes?: Record<string, unknown>; now: string }): Promise<boolean> {
  const any = db as unknown as AnyDb;
  let q = any.updateTable(table)
    .set((eb) => ({ ...opts.changes, updated_at: opts.now, revision_number: eb('revision_number', '+', 1) }))
    .where('id', '=', id);
  if (opts.expected !== undefined) q = q.where('revision_number', '=', opts.expected);
  const r = await q.executeTakeFirst();
  if (Number(r.numUpdatedRows) > 0) return true;
  const row = await any.selectFrom(table).select('revision_number').where('id', '=', id).executeTakeFirst() as { revision_number: number } | undefined;
  if (!row) return false;
  throw revisionConflict(opts.expected!, row.revision_number);
}

export async function tagsOf(db: NetworkDb, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('tags').selectAll().where('resource_id', 'in', ids.slice(i, i + 500)).orderBy('tag').execute();
    for (const r of rows) out.set(r.resource_id, [...(out.get(r.resource_id) ?? []), r.tag]);
  }
  return out;
}

export async function replaceTags(db: Kysely<NetworkTables>, id: string, tags: string[]): Promise<void> {
  await db.deleteFrom('tags').where('resource_id', '=', id).execute();
  if (tags.length) await db.insertInto('tags').values([...new Set(tags)].map((tag) => ({ resource_id: id, tag }))).execute();
}

/** Adds one tag; false when it was already there. */
export async function addTag(db: NetworkDb, id: string, tag: string): Promise<boolean> {
  const exists = await db.selectFrom('tags').select('tag').where('resource_id', '=', id).where('tag', '=', tag).executeTakeFirst();
  if (exists) return false;
  await db.insertInto('tags').values({ resource_id: id, tag }).execute();
  return true;
}

export async function removeTag(db: NetworkDb, id: string, tag: string): Promise<boolean> {
  const r = await db.deleteFrom('tags').where('resource_id', '=', id).where('tag', '=', tag).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
