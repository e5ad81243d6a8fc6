// Imports that outlive their request (copy-image answers 202 and copies afterwards, as Glance's tasks do): tracked so
// that deleting the image cancels its copy and closing the service stops every copy before the database closes.
import type { Logger } from '#lib/log.ts';

export interface ImportTasks {
  /** Runs `work` in the background for `imageId`; a rejection is logged, never thrown. */
  start(imageId: string, work: (signal: AbortSignal) => Promise<void>): void;
  /** Aborts the work on `imageId`, if any (its image is being deleted). */
  cancel(imageId: string): void;
  /** Resolves once no work runs. */
  idle(): Promise<void>;
  /** Aborts all work and waits for it to end (its own cleanup included). */
  close(): Promise<void>;
}

export function createImportTasks(log: Logger): ImportTasks {
  const running = new Map<Promise<void>, { imageId: string; abort: AbortController }>();
  return {
    start(imageId, work) {
      const abort = new AbortController();
      const done: Promise<void> = work(abort.signal)
        .catch((err: unknown) => log.error({ err, imageId }, 'image import task failed'))
        .finally(() => running.delete(done));
      running.set(done, { imageId, abort });
    },
    cancel(imageId) {
      for (const task of running.values()) if (task.imageId === imageId) task.abort.abort(new Error(`image ${imageId} was deleted`));
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running.keys()]);
    },
    async close() {
      for (const task of running.values()) task.abort.abort(new Error('the image service is stopping'));
      while (running.size > 0) await Promise.allSettled([...running.keys()]);
    },
  };
}
