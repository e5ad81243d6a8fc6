// Lifecycle events for daemonized guests, as libvirt gives Nova: QEMU is not the agent's child and its one QMP socket
// is not held open, so a guest that powers itself off or is killed from outside is noticed by watching its pid. The
// check is a /proc read per guest, cheap enough to run every few seconds.

export interface LifecycleWatch {
  stop(): void;
}

/**
 * Calls `onStopped(uuid)` once each time a guest seen running is no longer running. A guest's first sighting only
 * records its state, so starting the watch never fires for guests that were already down.
 */
export function watchGuestExits(opts: {
  list(): Promise<string[]>;
  running(uuid: string): Promise<boolean>;
  onStopped(uuid: string): void;
  everyMs: number;
}): LifecycleWatch {
  const wasRunning = new Map<string, boolean>();
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const guests = await opts.list();
      for (const uuid of [...wasRunning.keys()]) if (!guests.includes(uuid)) wasRunning.delete(uuid);
      for (const uuid of guests) {
        const now = await opts.running(uuid);
        if (wasRunning.get(uuid) && !now) opts.onStopped(uuid);
        wasRunning.set(uuid, now);
      }
    } catch {
      // An unreadable instances directory now is read again at the next tick; the periodic power sync still runs.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.everyMs);
  timer.unref();
  void tick();
  return { stop: () => clearInterval(timer) };
}
