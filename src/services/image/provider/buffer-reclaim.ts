// Keeps upload memory flat. Every socket read of an upload allocates a fresh 64 KiB Buffer; once hashed and written it
// is garbage, but V8 frees such buffers only when a young-generation GC runs, and their tiny JS wrappers fill the young
// generation so slowly that none runs: the dead buffers pile up until V8's external-memory limit (64 MiB above the
// last full GC) forces a full collection, and malloc keeps the peak as RSS. A young-generation collection (a scavenge,
// about a millisecond) every few MiB of streamed data frees them while they are few.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'minor'; execution: 'sync' }) => void;

/** Streamed bytes between two collections: at 64 KiB a read, 128 reads. */
export const RECLAIM_EVERY = 8 * 1024 * 1024;

let collect: Collect | undefined;
/** V8's collector, made reachable once (exposing `gc` to a fresh context leaves the main context's globals alone). */
function collector(): Collect {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  }
  return collect;
}

/** Counts streamed bytes and runs a young-generation collection each RECLAIM_EVERY of them. */
export function createBufferReclaimer(every = RECLAIM_EVERY): { add(bytes: number): void } {
  let since = 0;
  return {
    add(bytes) {
      since += bytes;
      if (since < every) return;
      since = 0;
      collector()({ type: 'minor', execution: 'sync' });
    },
  };
}
