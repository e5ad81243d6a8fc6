// The import lock as the API sees it: one import per image at a time (Glance's os_glance_import_task), with Glance's
// answer to a second one. A task holding the lock beats a heartbeat while it runs; a lock whose task has not beaten
// for `expirySeconds` (its process died or hangs) is taken over by the next import, as Glance busts an import lock
// whose task stopped updating, and the old task's stores are listed as failed.
import { randomUUID } from 'node:crypto';
import { Conflict } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { ImageDb } from '../db/tables.ts';
import { acquireImportLock, bustImportLock, importLockHolder, releaseImportLock, touchImportTask } from '../db/import-progress-repo.ts';
import { imageNotFound } from '../domain/errors.ts';

export interface ImportLock {
  taskId: string;
  /** Stops the heartbeat and releases the lock if this task still holds it. */
  release(): Promise<void>;
}

export interface ImportLocks {
  /** Takes the lock for a new import task; 409 while another live import holds it, 404 once the image is gone. */
  acquire(imageId: string): Promise<ImportLock>;
}

export interface ImportLockOptions {
  /** A holder silent for this long has expired. */
  expirySeconds: number;
  /** How often a holder beats; default a quarter of the expiry, at most a minute. */
  heartbeatMs?: number;
  log: Logger;
}

export function createImportLocks(db: ImageDb, opts: ImportLockOptions): ImportLocks {
  const heartbeatMs = opts.heartbeatMs ?? Math.min(60_000, Math.max(1000, (opts.expirySeconds * 1000) / 4));

  const expired = (beatAt: string | undefined, at: Date) =>
    beatAt === undefined || at.getTime() - Date.parse(beatAt) > opts.expirySeconds * 1000;

  function hold(imageId: string, taskId: string): ImportLock {
    const timer = setInterval(() => {
      touchImportTask(db, taskId, new Date().toISOString())
        .catch((err: unknown) => opts.log.warn({ err, imageId, taskId }, 'cannot record the import task\'s heartbeat'));
    }, heartbeatMs);
    timer.unref();
    return {
      taskId,
      async release() {
        clearInterval(timer);
        await releaseImportLock(db, imageId, taskId);
      },
    };
  }

  return {
    async acquire(imageId) {
      const taskId = randomUUID();
      // Twice at most: once, and once more after taking over an expired lock (unless another import took it first).
      for (let attempt = 0; attempt < 2; attempt++) {
        const now = new Date();
        const outcome = await acquireImportLock(db, imageId, taskId, now.toISOString());
        if (outcome === 'acquired') return hold(imageId, taskId);
        if (outcome === 'gone') throw imageNotFound(imageId);
        const holder = await importLockHolder(db, imageId);
        if (holder && !expired(holder.beatAt, now)) break;
        if (holder) {
          opts.log.warn({ imageId, taskId: holder.taskId, lastBeat: holder.beatAt }, 'import lock expired; taking it over');
          await bustImportLock(db, imageId, holder.taskId, now.toISOString());
        }
      }
      throw new Conflict(`New operation on image '${imageId}' is not permitted as prior operation is still in progress.`);
    },
  };
}
