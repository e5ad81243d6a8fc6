// The object expirer (Swift's object-expirer, run beside the proxy): objects whose X-Delete-At has passed are
// deleted from their replicas and their container's listing and stats. Reads already answer 404 for them.
import type { Logger } from '#lib/log.ts';
import { expiredObjects, removeObject, updateListedObject } from '../db/listings-repo.ts';
import type { ProxyDeps } from './deps.ts';
import { newTimestamp } from './deps.ts';

/** One pass over up to `batch` expired listing rows; resolves to how many objects it removed. */
export async function expirePass(deps: ProxyDeps, nowSeconds: number, batch = 1000): Promise<number> {
  let removed = 0;
  for (const row of await expiredObjects(deps.db, nowSeconds, batch)) {
    const path = { account: row.account, container: row.container, object: row.name };
    const state = await deps.replicas.head(path);
    const deleteAt = state?.kind === 'object' ? state.metadata.deleteAt : undefined;
    if (state?.kind === 'object' && (deleteAt === undefined || deleteAt > nowSeconds)) {
      // A newer upload or POST changed the expiry: bring the listing up to date instead.
      await updateListedObject(deps.db, row.containerId, row.name, { deleteAt: deleteAt ?? null });
      continue;
    }
    const timestamp = newTimestamp();
    if (state?.kind === 'object') await deps.replicas.delete(path, timestamp, deleteAt);
    await removeObject(deps.db, row.containerId, row.name, timestamp);
    removed++;
  }
  return removed;
}

/** Runs a pass every `intervalMs` (never two at once); stop() waits for a running pass. */
export function startExpirer(deps: ProxyDeps, opts: { intervalMs: number; log: Logger }): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = expirePass(deps, Date.now() / 1000)
      .then((n) => { if (n > 0) opts.log.info({ removed: n }, 'expired objects removed'); })
      .catch((err: unknown) => opts.log.warn({ err: (err as Error).message }, 'object expirer pass failed'))
      .finally(() => { running = undefined; });
  }, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
