// Listing rows: the container server's record of each object (for listings and stats), and the paged queries the
// listing walk uses for both object and container listings.
import { sql } from 'kysely';
import { createHash } from 'node:crypto';
import type { PageQuery } from '../domain/listing.ts';
import type { ObjectStorageDb } from './tables.ts';

export interface ObjectListing {
  name: string;
  etag: string;
  bytes: number;
  contentType: string;
  lastModified: string;
  timestamp: string;
  deleteAt?: number;
}

export interface ContainerListing {
  name: string;
  count: number;
  bytes: number;
  lastModified: string;
}

const nameHashOf = (name: string) => createHash('md5').update(name).digest('hex');
const headOf = (name: string) => [...name].slice(0, 200).join('');

/**
 * Records a stored object in its container's listing and stats, unless the listing already has a newer version
 * (concurrent PUTs: the newest timestamp wins, as on Swift). One transaction.
 */
export async function recordObject(db: ObjectStorageDb, containerId: string, o: ObjectListing): Promise<void> {
  const hash = nameHashOf(o.name);
  await db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('object_listings').select(['timestamp', 'bytes']).where('container_id', '=', containerId).where('name_hash', '=', hash).executeTakeFirst();
    if (old && old.timestamp >= o.timestamp) return;
    const row = { etag: o.etag, bytes: o.bytes, content_type: o.contentType, last_modified: o.lastModified, timestamp: o.timestamp, delete_at: o.deleteAt ?? null };
    if (old) await trx.updateTable('object_listings').set(row).where('container_id', '=', containerId).where('name_hash', '=', hash).execute();
    else await trx.insertInto('object_listings').values({ ...row, container_id: containerId, name: o.name, name_head: headOf(o.name), name_hash: hash }).execute();
    const count = old ? 0 : 1;
    const bytes = o.bytes - (old ? Number(old.bytes) : 0);
    await trx.updateTable('containers').set((eb) => ({ object_count: eb('object_count', '+', count), bytes_used: eb('bytes_used', '+', bytes) })).where('id', '=', containerId).execute();
  });
}

/**
 * Changes a listed object's content type and expiry after a POST (same version); undefined leaves one as it is. With
 * `ifTimestamp`, only a row listing that version changes (the object updater: a newer write's row is left alone).
 */
export async function updateListedObject(db: ObjectStorageDb, containerId: string, name: string, change: { contentType?: string; deleteAt?: number | null; ifTimestamp?: string }): Promise<void> {
  const set = { ...(change.contentType !== undefined ? { content_type: change.contentType } : {}), ...(change.deleteAt !== undefined ? { delete_at: change.deleteAt } : {}) };
  if (Object.keys(set).length === 0) return;
  let q = db.updateTable('object_listings').set(set).where('container_id', '=', containerId).where('name_hash', '=', nameHashOf(name));
  if (change.ifTimestamp !== undefined) q = q.where('timestamp', '=', change.ifTimestamp);
  await q.execute();
}

/** Listed objects whose X-Delete-At has passed, oldest first, with their account and container names. */
export async function expiredObjects(db: ObjectStorageDb, nowSeconds: number, limit: number): Promise<{ containerId: string; account: string; container: string; name: string; timestamp: string }[]> {
  const rows = await db.selectFrom('object_listings').innerJoin('containers', 'containers.id', 'object_listings.container_id')
    .select(['object_listings.container_id', 'containers.account', 'containers.name as container', 'object_listings.name', 'object_listings.timestamp'])
    .where('object_listings.delete_at', '<=', Math.floor(nowSeconds)).orderBy('object_listings.delete_at').limit(limit).execute();
  return rows.map((r) => ({ containerId: r.container_id, account: r.account, container: r.container, name: r.name, timestamp: r.timestamp }));
}

/** Removes an object from its container's listing and stats if the listed version is older than `timestamp`. */
export async function removeObject(db: ObjectStorageDb, containerId: string, name: string, timestamp: string): Promise<void> {
  const hash = nameHashOf(name);
  await db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('object_listings').select(['timestamp', 'bytes']).where('container_id', '=', containerId).where('name_hash', '=', hash).executeTakeFirst();
    if (!old || old.timestamp >= timestamp) return;
    await trx.deleteFrom('object_listings').where('container_id', '=', containerId).where('name_hash', '=', hash).execute();
    await trx.updateTable('containers').set((eb) => ({ object_count: eb('object_count', '-', 1), bytes_used: eb('bytes_used', '-', Number(old.bytes)) })).where('id', '=', containerId).execute();
  });
}

/** One page of a container's object listing, in name order (reversed on request). */
export async function objectPage(db: ObjectStorageDb, containerId: string, p: PageQuery): Promise<ObjectListing[]> {
  // Expired objects are gone for readers already; the expirer removes their rows later.
  const now = Math.floor(Date.now() / 1000);
  // Only the columns a listing shows: a 10,000-row page is read (and sorted) several times faster than with selectAll.
  let q = db.selectFrom('object_listings').select(['name', 'etag', 'bytes', 'content_type', 'last_modified', 'timestamp']).where('container_id', '=', containerId)
    .where((eb) => eb.or([eb('delete_at', 'is', null), eb('delete_at', '>', now)]));
  // Bounds on name_head too (truncation keeps the order), so the index seeks instead of scanning the container.
  if (p.marker !== undefined) q = q.where('name', p.reverse ? '<' : '>', p.marker).where('name_head', p.reverse ? '<=' : '>=', headOf(p.marker));
  if (p.endMarker !== undefined) q = q.where('name', p.reverse ? '>' : '<', p.endMarker).where('name_head', p.reverse ? '>=' : '<=', headOf(p.endMarker));
  if (p.prefix) q = q.where(sql<string>`substr(name, 1, ${[...p.prefix].length})`, '=', p.prefix).where('name_head', '>=', headOf(p.prefix));
  const dir = p.reverse ? 'desc' : 'asc';
  const rows = await q.orderBy('name_head', dir).orderBy('name', dir).limit(p.limit).execute();
  return rows.map((r) => ({ name: r.name, etag: r.etag, bytes: Number(r.bytes), contentType: r.content_type, lastModified: r.last_modified, timestamp: r.timestamp }));
}

/** One page of an account's container listing. */
export async function containerPage(db: ObjectStorageDb, account: string, p: PageQuery): Promise<ContainerListing[]> {
  let q = db.selectFrom('containers').select(['name', 'object_count', 'bytes_used', 'created_at']).where('account', '=', account);
  if (p.marker !== undefined) q = q.where('name', p.reverse ? '<' : '>', p.marker);
  if (p.endMarker !== undefined) q = q.where('name', p.reverse ? '>' : '<', p.endMarker);
  if (p.prefix) q = q.where(sql<string>`substr(name, 1, ${[...p.prefix].length})`, '=', p.prefix);
  const rows = await q.orderBy('name', p.reverse ? 'desc' : 'asc').limit(p.limit).execute();
  return rows.map((r) => ({ name: r.name, count: Number(r.object_count), bytes: Number(r.bytes_used), lastModified: r.created_at }));
}
