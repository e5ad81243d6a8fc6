// The container server's state: containers with metadata, ACLs and stats, created and deleted under DB constraints.
import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '#lib/db/index.ts';
import type { ContainerRow, ObjectStorageDb } from './tables.ts';

export interface Container {
  id: string;
  account: string;
  name: string;
  createdAt: string;
  putTimestamp: string;
  meta: Record<string, string>;
  readAcl: string | null;
  writeAcl: string | null;
  sysmeta: Record<string, string>;
  objectCount: number;
  bytesUsed: number;
}

const toContainer = (r: ContainerRow): Container => ({
  id: r.id, account: r.account, name: r.name, createdAt: r.created_at, putTimestamp: r.put_timestamp,
  meta: JSON.parse(r.meta) as Record<string, string>, readAcl: r.read_acl, writeAcl: r.write_acl,
  sysmeta: JSON.parse(r.sysmeta || '{}') as Record<string, string>, objectCount: Number(r.object_count), bytesUsed: Number(r.bytes_used),
});

export async function getContainer(db: ObjectStorageDb, account: string, name: string): Promise<Container | undefined> {
  const row = await db.selectFrom('containers').selectAll().where('account', '=', account).where('name', '=', name).executeTakeFirst();
  return row ? toContainer(row) : undefined;
}

export interface ContainerSettings {
  meta: Record<string, string>;
  readAcl?: string | null;
  writeAcl?: string | null;
  /** System metadata to set (a string) or remove (undefined value). */
  sysmeta?: Record<string, string | undefined>;
}

const applySysmeta = (current: Record<string, string>, changes: Record<string, string | undefined> = {}): Record<string, string> => {
  const next = { ...current };
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete next[k]; else next[k] = v;
  return next;
};

/** Creates the container; false when it already exists (the caller updates it instead, as a PUT on Swift does). */
export async function createContainer(db: ObjectStorageDb, c: { account: string; name: string; now: string; timestamp: string } & ContainerSettings): Promise<boolean> {
  try {
    await db.insertInto('containers').values({
      id: randomUUID(), account: c.account, name: c.name, created_at: c.now, put_timestamp: c.timestamp, meta: JSON.stringify(c.meta),
      read_acl: c.readAcl ?? null, write_acl: c.writeAcl ?? null, sysmeta: JSON.stringify(applySysmeta({}, c.sysmeta)), object_count: 0, bytes_used: 0,
    }).execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/**
 * Updates metadata (through `merge`, in one transaction) and ACLs that are given (null removes one). False when the
 * container does not exist.
 */
export async function updateContainer(db: ObjectStorageDb, id: string, merge: (current: Record<string, string>) => Record<string, string>, acls: { readAcl?: string | null; writeAcl?: string | null; sysmeta?: Record<string, string | undefined> }): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('containers').select(['meta', 'sysmeta']).where('id', '=', id).executeTakeFirst();
    if (!row) return false;
    await trx.updateTable('containers').set({
      meta: JSON.stringify(merge(JSON.parse(row.meta) as Record<string, string>)),
      ...(acls.readAcl !== undefined ? { read_acl: acls.readAcl } : {}),
      ...(acls.writeAcl !== undefined ? { write_acl: acls.writeAcl } : {}),
      ...(acls.sysmeta !== undefined ? { sysmeta: JSON.stringify(applySysmeta(JSON.parse(row.sysmeta || '{}') as Record<string, string>, acls.sysmeta)) } : {}),
    }).where('id', '=', id).execute();
    return true;
  });
}

/** Deletes an empty container: 'deleted', 'not-empty' (the database decides, so a racing PUT wins) or 'missing'. */
export async function deleteContainer(db: ObjectStorageDb, id: string): Promise<'deleted' | 'not-empty' | 'missing'> {
  return db.transaction().execute(async (trx) => {
    const r = await trx.deleteFrom('containers').where('id', '=', id).where('object_count', '=', 0)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('object_listings').select('name_hash').where('container_id', '=', id))))
      .executeTakeFirst();
    if (Number(r.numDeletedRows) > 0) return 'deleted';
    const still = await trx.selectFrom('containers').select('id').where('id', '=', id).executeTakeFirst();
    return still ? 'not-empty' : 'missing';
  });
}
