// Console auth tokens, looked up by the token's hash. Consuming one is a delete that only one caller can win, so a
// token opens at most one console even when two proxies (or two processes) race for it.
import type { ComputeDb, ConsoleAuthTokenRow } from './tables.ts';

export async function insertConsoleAuthToken(db: ComputeDb, row: ConsoleAuthTokenRow): Promise<void> {
  await db.insertInto('console_auth_tokens').values(row).execute();
}

/**
 * Takes the token with this hash if it is one of `types`: the row is deleted whatever its age, and returned only
 * when this caller deleted it and it had not expired at `now`. A token of another type is left alone.
 */
export async function consumeConsoleAuthToken(db: ComputeDb, tokenHash: string, opts: { types: readonly string[]; now: Date }): Promise<ConsoleAuthTokenRow | undefined> {
  if (opts.types.length === 0) return undefined;
  const row = await db.selectFrom('console_auth_tokens').selectAll()
    .where('token_hash', '=', tokenHash).where('console_type', 'in', opts.types).executeTakeFirst();
  if (!row) return undefined;
  const res = await db.deleteFrom('console_auth_tokens').where('token_hash', '=', tokenHash).executeTakeFirst();
  if (Number(res.numDeletedRows) !== 1) return undefined;
  return row.expires_at > opts.now.toISOString() ? row : undefined;
}

/** Removes a server's tokens (it is being deleted): its console URLs stop working at once. */
export async function deleteInstanceConsoleAuthTokens(db: ComputeDb, instanceUuid: string): Promise<void> {
  await db.deleteFrom('console_auth_tokens').where('instance_uuid', '=', instanceUuid).execute();
}

/** Removes the tokens that expired before `now`; returns how many. */
export async function purgeExpiredConsoleAuthTokens(db: ComputeDb, now: Date): Promise<number> {
  const res = await db.deleteFrom('console_auth_tokens').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
  return Number(res.numDeletedRows);
}
