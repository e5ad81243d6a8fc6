// What the qemu driver's operations share for one host: the guests' paths, a lock per guest (so two calls on one guest
// never interleave, and never compete for its single QMP connection), QMP sessions, and starting a guest's QEMU.
import { existsSync } from 'node:fs';
import type { Logger } from '#lib/log.ts';
import { guestPaths } from './guest-dir.ts';
import type { GuestPaths, GuestRecord } from './guest-dir.ts';
import { connectQmp } from './qmp-client.ts';
import type { QmpClient } from './qmp-client.ts';
import { buildQemuArgv, tapOf } from './qemu-command.ts';
import type { Accel } from './qemu-command.ts';
import { killGuest, startQemu } from './guest-process.ts';

export interface GuestHost {
  readonly log: Logger;
  paths(uuid: string): GuestPaths;
  /** Runs `work` after every earlier call on the same guest has finished. */
  serialized<T>(uuid: string, work: () => Promise<T>): Promise<T>;
  /** Runs `work` with a fresh QMP session to the guest, closed afterwards. */
  withQmp<T>(uuid: string, work: (qmp: QmpClient) => Promise<T>): Promise<T>;
  /** Starts the guest's QEMU from its record (waiting for its taps); kills what it started when it fails. */
  launch(record: GuestRecord, opts?: { incoming?: boolean; signal?: AbortSignal }): Promise<void>;
  /** Closes every open QMP session. */
  closeSessions(): void;
}

export function createGuestHost(opts: { instancesDir: string; binary: string; accel: () => Promise<Accel>; tapWaitMs: number; log: Logger }): GuestHost {
  const locks = new Map<string, Promise<unknown>>();
  const sessions = new Set<QmpClient>();

  /** Waits for the network agent to create each NIC's tap (it does so after the port is bound, asynchronously). */
  async function waitForTaps(record: GuestRecord, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + opts.tapWaitMs;
    for (const nic of record.spec.nics) {
      const tap = tapOf(nic);
      while (!existsSync(`/sys/class/net/${tap}`)) {
        signal?.throwIfAborted();
        if (Date.now() >= deadline) throw new Error(`tap device ${tap} of port ${nic.portId} did not appear within ${opts.tapWaitMs / 1000} s (is the network agent running on this host?)`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  const host: GuestHost = {
    log: opts.log,
    paths: (uuid) => guestPaths(opts.instancesDir, uuid),
    serialized(uuid, work) {
      const next = (locks.get(uuid) ?? Promise.resolve()).catch(() => undefined).then(work);
      const tail = next.catch(() => undefined);
      locks.set(uuid, tail);
      void tail.then(() => { if (locks.get(uuid) === tail) locks.delete(uuid); });
      return next;
    },
    async withQmp(uuid, work) {
      const qmp = await connectQmp(host.paths(uuid).qmp);
      sessions.add(qmp);
      try {
        return await work(qmp);
      } finally {
        sessions.delete(qmp);
        qmp.close();
      }
    },
    async launch(record, o = {}) {
      const paths = host.paths(record.spec.uuid);
      await waitForTaps(record, o.signal);
      const argv = buildQemuArgv({ record, paths, accel: await opts.accel(), incoming: o.incoming });
      try {
        await startQemu(opts.binary, argv, { log: opts.log });
      } catch (err) {
        await killGuest(paths, record.spec.uuid).catch(() => undefined);
        throw err;
      }
    },
    closeSessions() {
      for (const s of sessions) s.close();
      sessions.clear();
    },
  };
  return host;
}
