// Server tags (Nova's tags table for instances): read per server or for a page of servers, replaced, added, removed;
// the tag filters of server lists run in SQL (instances-repo.ts).
import type { ComputeDb } from './tables.ts';

/** Nova's per-server limit. */
export const MAX_TAGS = 50;

export async function listTags(db: ComputeDb, instanceUuid: string): Promise<string[]> {
  const rows = await db.selectFrom('instance_tags').select('tag').where('instance_uuid', '=', instanceUuid).orderBy('tag').execute();
  return rows.map((r) => r.tag);
}

/** The tags of several servers at once (a page of a list). */
export async function tagsOf(db: ComputeDb, uuids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(uuids.map((u) => [u, []]));
  if (!uuids.length) return out;
  const rows = await db.selectFrom('instance_tags').selectAll().where('instance_uuid', 'in', uuids).orderBy('tag').execute();
  for (const r of rows) out.get(r.instance_uuid)?.push(r.tag);
  return out;
}

/** Replaces all of a server's tags (duplicates collapse, as Nova's set semantics); returns them. */
export async function replaceTags(db: ComputeDb, instanceUuid: string, tags: string[]): Promise<string[]> {
  const unique = [...new Set(tags)];
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('instance_tags').where('instance_uuid', '=', instanceUuid).execute();
    if (unique.length) await tx.insertInto('instance_tags').values(unique.map((tag) => ({ instance_uuid: instanceUuid, tag }))).execute();
  });
  return unique.sort();
}

/**
 * Adds one tag unless the server has it or already holds `max` tags, in one transaction; 'exists', 'full' or 'added'.
 * (A race between two adds near the limit may pass both: the limit is Nova's soft check too.)
 */
export async function addTag(db: ComputeDb, instanceUuid: string, tag: string, max = MAX_TAGS): Promise<'exists' | 'full' | 'added'> {
  return db.transaction().execute(async (tx) => {
    const tags = (await tx.selectFrom('instance_tags').select('tag').where('instance_uuid', '=', instanceUuid).execute()).map((r) => r.tag);
    if (tags.includes(tag)) return 'exists';
    if (tags.length >= max) return 'full';
    await tx.insertInto('instance_tags').values({ instance_uuid: instanceUuid, tag }).execute();
    return 'added';
  });
}

export async function deleteTag(db: ComputeDb, instanceUuid: string, tag: string): Promise<boolean> {
  const res = await db.deleteFrom('instance_tags').where('instance_uuid', '=', instanceUuid).where('tag', '=', tag).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function deleteAllTags(db: ComputeDb, instanceUuid: string): Promise<void> {
  await db.deleteFrom('instance_tags').where('instance_uuid', '=', instanceUuid).execute();
}

export interface TagFilter {
  /** Servers with every one of these tags. */
  all?: string[];
  /** Servers with at least one of these. */
  any?: string[];
  /** Servers without at least one of these (not all of them). */
  notAll?: string[];
  /** Servers with none of these. */
  notAny?: string[];
}
