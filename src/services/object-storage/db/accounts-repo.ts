// The account server's state: an account row holds its metadata; its stats are the sums over its containers.
import { isUniqueViolation } from '#lib/db/index.ts';
import type { ObjectStorageDb } from './tables.ts';

export interface AccountInfo {
  createdAt?: string;
  meta: Record<string, string>;
  containerCount: number;
  objectCount: number;
  bytesUsed: number;
}

export async function getAccount(db: ObjectStorageDb, account: string): Promise<AccountInfo> {
  const row = await db.selectFrom('accounts').selectAll().where('account', '=', account).executeTakeFirst();
  const stats = await db.selectFrom('containers').where('account', '=', account)
    .select((eb) => [eb.fn.countAll<number | string>().as('containers'), eb.fn.sum<number | string | null>('object_count').as('objects'), eb.fn.sum<number | string | null>('bytes_used').as('bytes')])
    .executeTakeFirstOrThrow();
  return {
    createdAt: row?.created_at, meta: row ? JSON.parse(row.meta) as Record<string, string> : {},
    containerCount: Number(stats.containers), objectCount: Number(stats.objects ?? 0), bytesUsed: Number(stats.bytes ?? 0),
  };
}

/** Creates the account row if it is missing (accounts are created on first use, as with Swift's account_autocreate). */
export async function ensureAccount(db: ObjectStorageDb, account: string, now: string): Promise<void> {
  try {
    await db.insertInto('accounts').values({ account, created_at: now, meta: '{}' }).execute();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
}

/** Applies metadata changes with `merge` inside one transaction, so concurrent POSTs do not lose each other's keys. */
export async function updateAccountMeta(db: ObjectStorageDb, account: string, now: string, merge: (current: Record<string, string>) => Record<string, string>): Promise<void> {
  await ensureAccount(db, account, now);
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('accounts').select('meta').where('account', '=', account).executeTakeFirstOrThrow();
    const next = merge(JSON.parse(row.meta) as Record<string, string>);
    await trx.updateTable('accounts').set({ meta: JSON.stringify(next) }).where('account', '=', account).execute();
  });
}
