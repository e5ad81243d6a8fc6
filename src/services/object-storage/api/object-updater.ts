// Listing repair, Swift's object-updater: every write runs under a pending-update record (pending-updates.ts), and
// a record left behind means the listing may not match the replicas — the process died between them, or the database
// refused the update. The updater asks the replicas what the object is now and makes the listing (and so the
// container's and account's counts and bytes) say the same: the newest version listed, or no row after a tombstone.
// The listing functions keep the newest timestamp, so applying a record twice, or after a newer write, changes nothing.
import { isStratusError } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import { getContainer } from '../db/containers-repo.ts';
import { recordObject, removeObject, updateListedObject } from '../db/listings-repo.ts';
import type { ObjectStorageDb } from '../db/tables.ts';
import { listingContentType, listingEtag } from '../domain/large-object-listing.ts';
import type { ProxyDeps } from './deps.ts';
import { timestampToIso } from './deps.ts';
import type { PendingUpdate, PendingUpdates } from './pending-updates.ts';
import type { Replicas } from './replicas.ts';

export interface UpdaterReport {
  /** Records looked at. */
  records: number;
  /** Objects whose listing row was written (or found current) from a live replica. */
  listed: number;
  /** Objects whose row was removed (or found absent) after a tombstone. */
  unlisted: number;
  /** Records with nothing to do: torn by a crash, no replica at all, or the container is gone. */
  dropped: number;
  /** Records kept for the next pass (the database or the replicas failed). */
  failures: number;
}

/**
 * Runs a write under a pending-update record: `change` updates the replicas, `list` the listing. The record goes only
 * once both are done. When the listing update fails the write still succeeds, as on Swift (the replicas hold it and
 * the updater lists it); when the replicas fail, the record stays unless the error was the client's (refused by
 * every replica alike, so nothing changed).
 */
export async function underPendingUpdate<T>(deps: Pick<ProxyDeps, 'pending' | 'log'>, update: PendingUpdate, change: () => Promise<T>, list: (result: T) => Promise<void>): Promise<T> {
  const entry = await deps.pending.begin(update);
  let result: T;
  try {
    result = await change();
  } catch (err) {
    if (isStratusError(err) && err.status < 500) await entry.done().catch(() => undefined);
    else entry.release();
    throw err;
  }
  try {
    await list(result);
  } catch (err) {
    entry.release();
    deps.log.warn({ err: (err as Error).message, container: update.container, object: update.object }, 'object listing update failed; the object updater will apply it');
    return result;
  }
  // A record whose removal failed only makes the updater check an object that is fine.
  await entry.done().catch(() => undefined);
  return result;
}

type Outcome = 'listed' | 'unlisted' | 'dropped';

/** Makes one object's listing match its replicas. */
async function reconcile(deps: { db: ObjectStorageDb; replicas: Replicas }, u: PendingUpdate): Promise<Outcome> {
  // Swift's container updates go by name too: a container deleted since has no listing to repair.
  const container = await getContainer(deps.db, u.account, u.container);
  if (!container) return 'dropped';
  const state = await deps.replicas.head(u);
  if (state?.kind === 'object') {
    const m = state.metadata;
    const contentType = listingContentType(m.contentType, m.slo);
    await recordObject(deps.db, container.id, {
      name: u.object, etag: listingEtag(m.etag, m.slo), bytes: m.size, contentType,
      lastModified: timestampToIso(m.timestamp), timestamp: m.timestamp, ...(m.deleteAt !== undefined ? { deleteAt: m.deleteAt } : {}),
    });
    // A row already listing this version may predate a POST: its content type and expiry come from the replicas too.
    await updateListedObject(deps.db, container.id, u.object, { contentType, deleteAt: m.deleteAt ?? null, ifTimestamp: m.timestamp });
    return 'listed';
  }
  if (state?.kind === 'deleted') {
    await removeObject(deps.db, container.id, u.object, state.timestamp);
    return 'unlisted';
  }
  // No replica holds any version: the write never reached one.
  return 'dropped';
}

/** One pass over the records no request is using, oldest first; a failed record is kept and counted. */
export async function updaterPass(deps: { db: ObjectStorageDb; replicas: Replicas; pending: PendingUpdates; log: Logger; signal?: AbortSignal }): Promise<UpdaterReport> {
  const report: UpdaterReport = { records: 0, listed: 0, unlisted: 0, dropped: 0, failures: 0 };
  for (const record of await deps.pending.idle()) {
    if (deps.signal?.aborted) break;
    report.records++;
    try {
      report[record.update ? await reconcile(deps, record.update) : 'dropped']++;
      await deps.pending.remove(record.id);
    } catch (err) {
      report.failures++;
      deps.log.warn({ err: (err as Error).message, record: record.id }, 'object updater could not apply a pending listing update');
    }
  }
  if (report.listed + report.unlisted > 0) deps.log.info({ report }, 'object updater applied pending listing updates');
  return report;
}
