// Work queues keyed by a name (a network id): jobs with one key run one after another, different keys in parallel.
// A failed job is reported and does not stop the ones after it.
export interface KeyedQueue {
  push(key: string, job: () => Promise<void>): void;
  /** Resolves when every job pushed so far (and any they pushed) has finished. */
  idle(): Promise<void>;
}

export function createKeyedQueue(onError: (err: unknown, key: string) => void): KeyedQueue {
  const tails = new Map<string, Promise<void>>();
  return {
    push(key, job) {
      const tail = (tails.get(key) ?? Promise.resolve()).then(job).catch((err: unknown) => onError(err, key));
      tails.set(key, tail);
      void tail.then(() => { if (tails.get(key) === tail) tails.delete(key); });
    },
    async idle() {
      while (tails.size) await Promise.all([...tails.values()]);
    },
  };
}
