// Polling for tests: wait until a condition holds (or a value appears), with a deadline that names what was awaited.

export interface UntilOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Pause between checks; default 50 ms. */
  everyMs?: number;
  /** Count a check that throws as "not yet" (a service still starting) instead of failing at once. */
  retryErrors?: boolean;
}

/** Resolves with the first truthy value `check` gives; rejects with "timed out waiting for <what>" at the deadline. */
export async function until<T>(what: string, check: () => T | undefined | false | null | Promise<T | undefined | false | null>, opts: UntilOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const got = opts.retryErrors ? await Promise.resolve().then(check).catch(() => undefined) : await check();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 50));
  }
}
