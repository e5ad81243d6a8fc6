// Key pairs belong to users (not projects), unique by name per user — the database enforces it.
import type { ComputeDb, KeyPairRow } from './tables.ts';

export async function getKeyPair(db: ComputeDb, userId: string, name: string): Promise<KeyPairRow | undefined> {
  return db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
}

export async function listKeyPairs(db: ComputeDb, userId: string, opts: { afterName?: string; limit: number }): Promise<KeyPairRow[]> {
  let q = db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId);
  if (opts.afterName !== undefined) q = q.where('name', '>', opts.afterName);
  return q.orderBy('name').limit(opts.limit).execute();
}

export async function insertKeyPair(db: ComputeDb, row: KeyPairRow): Promise<void> {
  await db.insertInto('key_pairs').values(row).execute();
}

export async function deleteKeyPair(db: ComputeDb, userId: string, name: string): Promise<boolean> {
  const res = await db.deleteFrom('key_pairs').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
