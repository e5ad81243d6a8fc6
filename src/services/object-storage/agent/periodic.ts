// The storage node's background passes (replicator, auditor): one pass at a time, every interval, and on demand.
import type { Logger } from '#lib/log.ts';

export interface PeriodicPass<T> {
  /** Runs a full pass now (after the one under way, if any) and resolves to its report. */
  runOnce(): Promise<T>;
  /** Stops the timer, aborts a running pass and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts `pass` every `intervalMs` (0: only on demand). A tick that finds a pass still running is skipped; a failed
 * pass is logged and the next tick tries again.
 */
export function startPeriodicPass<T>(opts: { name: string; intervalMs: number; log: Logger; pass: (signal: AbortSignal) => Promise<T> }): PeriodicPass<T> {
  const abort = new AbortController();
  let running: Promise<unknown> | undefined;

  function run(): Promise<T> {
    const previous = running ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => opts.pass(abort.signal));
    running = next;
    void next.finally(() => { if (running === next) running = undefined; }).catch(() => undefined);
    return next;
  }

  const timer = opts.intervalMs > 0 ? setInterval(() => {
    if (running) return;
    const started = performance.now();
    run().then((report) => opts.log.debug({ report, ms: Math.round(performance.now() - started) }, `object ${opts.name} pass done`))
      .catch((err: unknown) => opts.log.warn({ err: (err as Error).message }, `object ${opts.name} pass failed`));
  }, opts.intervalMs) : undefined;
  timer?.unref();

  return {
    runOnce: run,
    async stop() {
      if (timer) clearInterval(timer);
      abort.abort();
      await running?.catch(() => undefined);
    },
  };
}
