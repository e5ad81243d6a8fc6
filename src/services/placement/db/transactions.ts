// How Placement writes: short read-committed transactions that lock the providers they change, compare-and-swap
// each provider's generation, and are retried when the database reports a deadlock or the swap lost a race.
import type { Transaction } from 'kysely';
import { PlacementError, PLACEMENT_CODES, PROVIDER_CHANGED } from '../domain/errors.ts';
import type { PlacementStore, PlacementTables } from './tables.ts';

export type Trx = Transaction<PlacementTables>;

/**
 * A lost compare-and-swap on a provider's generation (or a blind writer's consumer). Retryable when the caller did
 * not name a generation itself: the whole transaction is replayed against fresh data.
 */
export class GenerationRace extends PlacementError {
  constructor(message = PROVIDER_CHANGED) {
    super(409, PLACEMENT_CODES.concurrentUpdate, message);
  }
}

export const nowIso = (): string => new Date().toISOString();

/**
 * Runs `work` in one read-committed transaction (MySQL's default repeatable read would let a locking read see rows
 * newer than the transaction's snapshot; read committed makes every statement see the latest commit, as on
 * PostgreSQL). SQLite serialises writers with BEGIN IMMEDIATE instead.
 */
export function inTransaction<T>(store: PlacementStore, work: (trx: Trx) => Promise<T>): Promise<T> {
  return store.db.transaction().setIsolationLevel('read committed').execute(work);
}

/**
 * Like inTransaction, but replays the transaction up to `retries` more times when it lost a generation race or the
 * database chose it as a deadlock victim. After the last attempt the race is reported as 409 concurrent_update.
 */
export async function withRetries<T>(store: PlacementStore, retries: number, work: (trx: Trx) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await inTransaction(store, work);
    } catch (err) {
      const retryable = err instanceof GenerationRace || isDeadlock(err);
      if (!retryable || attempt >= retries) {
        if (isDeadlock(err)) throw new GenerationRace();
        throw err;
      }
    }
  }
}

/** Row locks on the providers a write changes, in uuid order so two writers never wait on each other in a cycle. */
export async function lockProviders(store: PlacementStore, trx: Trx, uuids: string[]): Promise<Map<string, { generation: number; root_uuid: string }>> {
  if (uuids.length === 0) return new Map();
  let query = trx.selectFrom('resource_providers').select(['uuid', 'generation', 'root_uuid'])
    .where('uuid', 'in', [...new Set(uuids)].sort()).orderBy('uuid');
  // SQLite has one writer at a time already (BEGIN IMMEDIATE); FOR UPDATE is not SQLite syntax.
  if (store.dialect !== 'sqlite') query = query.forUpdate();
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.uuid, { generation: Number(r.generation), root_uuid: r.root_uuid }]));
}

/**
 * The compare-and-swap every provider change ends with: generation + 1 where the generation is still `expected`.
 * Zero rows means someone else changed the provider since it was read: throws GenerationRace.
 */
export async function bumpGeneration(trx: Trx, uuid: string, expected: number): Promise<number> {
  const result = await trx.updateTable('resource_providers')
    .set({ generation: expected + 1, updated_at: nowIso() })
    .where('uuid', '=', uuid).where('generation', '=', expected)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new GenerationRace();
  return expected + 1;
}

/** PostgreSQL deadlock or serialization failure, MySQL/MariaDB deadlock or lock wait timeout, SQLite busy. */
export function isDeadlock(err: unknown): boolean {
  for (let e = err as { code?: unknown; errno?: unknown; errcode?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === '40P01' || e.code === '40001') return true;
    if (e.errno === 1213 || e.errno === 1205) return true;
    if (e.errcode === 5 || e.errcode === 517) return true;
  }
  return false;
}
