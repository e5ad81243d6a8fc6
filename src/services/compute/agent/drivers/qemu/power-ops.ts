// A guest's power: ACPI shutdown with a hard fallback, start from guest.json, reboots, pause (QMP stop/cont), and
// suspend as QEMU's migration of RAM to `memory.state` (read back with -incoming on resume). Each call is idempotent:
// asking for the state a guest is already in does nothing.
import { rm, stat } from 'node:fs/promises';
import { Conflict, NotFound } from '#lib/errors.ts';
import type { GuestPower } from '../hypervisor-driver.ts';
import type { GuestHost } from './guest-host.ts';
import { readGuestRecord } from './guest-dir.ts';
import type { GuestRecord } from './guest-dir.ts';
import { guestPid, killGuest, waitGone } from './guest-process.ts';
import { outgoingUri } from './qemu-command.ts';
import type { QmpClient } from './qmp-client.ts';

/** Guest power from QMP's run state (query-status). */
export function powerFromStatus(status: string): GuestPower {
  if (status === 'running') return 'running';
  if (status === 'shutdown') return 'shutdown';
  if (status === 'guest-panicked' || status === 'internal-error') return 'crashed';
  // paused, postmigrate, inmigrate, prelaunch, io-error, suspended (guest S3)…: not running guest code.
  return 'paused';
}

const exists = (path: string) => stat(path).then(() => true, () => false);

export interface PowerOps {
  powerState(uuid: string): Promise<GuestPower | undefined>;
  powerOff(uuid: string, timeoutMs: number): Promise<void>;
  powerOn(uuid: string): Promise<void>;
  reboot(uuid: string, hard: boolean, softTimeoutMs: number): Promise<void>;
  pause(uuid: string): Promise<void>;
  unpause(uuid: string): Promise<void>;
  suspend(uuid: string): Promise<void>;
  resume(uuid: string): Promise<void>;
}

/** Polls query-status until `done` accepts the run state (no QMP event announces the end of an incoming migration). */
async function statusWhen(qmp: QmpClient, done: (status: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await qmp.execute<{ status: string }>('query-status');
    if (done(status)) return status;
    if (Date.now() >= deadline) throw new Error(`QEMU still reports '${status}' after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function createPowerOps(host: GuestHost): PowerOps {
  async function record(uuid: string): Promise<GuestRecord> {
    const r = await readGuestRecord(host.paths(uuid));
    if (!r) throw new NotFound(`Instance ${uuid} could not be found on this hypervisor.`);
    return r;
  }

  /** Running QEMU of a known guest, or a Conflict naming what the guest is instead. */
  async function running(uuid: string, what: string): Promise<number> {
    await record(uuid);
    const pid = await guestPid(host.paths(uuid), uuid);
    if (!pid) throw new Conflict(`Cannot ${what} instance ${uuid}: it is not running.`);
    return pid;
  }

  /** Asks for an ACPI shutdown; true when QEMU exited within `timeoutMs`. */
  async function acpiShutdown(uuid: string, timeoutMs: number): Promise<boolean> {
    await host.withQmp(uuid, (q) => q.execute('system_powerdown'));
    return waitGone(host.paths(uuid), uuid, timeoutMs);
  }

  /** Stops QEMU for good: `quit` (disks flushed), then SIGKILL if it lingers. */
  async function stopQemu(uuid: string): Promise<void> {
    const paths = host.paths(uuid);
    if (!await guestPid(paths, uuid)) return;
    await host.withQmp(uuid, (q) => q.execute('quit')).catch(() => undefined);
    if (!await waitGone(paths, uuid, 10_000)) await killGuest(paths, uuid);
  }

  async function resumeFromState(uuid: string, r: GuestRecord): Promise<void> {
    const paths = host.paths(uuid);
    await host.launch(r, { incoming: true });
    try {
      await host.withQmp(uuid, async (q) => {
        const status = await statusWhen(q, (s) => s !== 'inmigrate', 120_000);
        if (status !== 'paused') throw new Error(`restoring the saved state ended in '${status}'`);
        await q.execute('cont');
      });
    } catch (err) {
      // The saved state stays: the guest is still suspended, and resume may be tried again.
      await killGuest(paths, uuid).catch(() => undefined);
      throw new Error(`Cannot resume instance ${uuid}: ${(err as Error).message}`);
    }
    await rm(paths.memoryState, { force: true });
  }

  /** Starts a stopped guest, or resumes a suspended one (its RAM is kept rather than discarded). */
  async function start(uuid: string): Promise<void> {
    const r = await record(uuid);
    const paths = host.paths(uuid);
    if (await guestPid(paths, uuid)) return;
    if (await exists(paths.memoryState)) return resumeFromState(uuid, r);
    await host.launch(r);
  }

  return {
    powerState: (uuid) => host.serialized(uuid, async () => {
      const paths = host.paths(uuid);
      if (!await readGuestRecord(paths)) return undefined;
      if (!await guestPid(paths, uuid)) return await exists(paths.memoryState) ? 'suspended' : 'shutdown';
      try {
        return powerFromStatus((await host.withQmp(uuid, (q) => q.execute<{ status: string }>('query-status'))).status);
      } catch (err) {
        if (!await guestPid(paths, uuid)) return 'shutdown';
        // Alive but not answering: say running rather than have the agent mark a live guest SHUTOFF.
        host.log.warn({ instance: uuid, err: (err as Error).message }, 'QMP did not answer query-status');
        return 'running';
      }
    }),

    powerOff: (uuid, timeoutMs) => host.serialized(uuid, async () => {
      await record(uuid);
      const paths = host.paths(uuid);
      // A suspended guest powered off loses its saved RAM, as a shut-down machine would.
      await rm(paths.memoryState, { force: true });
      if (!await guestPid(paths, uuid)) return;
      const gone = await acpiShutdown(uuid, timeoutMs).catch(() => false);
      if (!gone) {
        host.log.info({ instance: uuid, timeoutMs }, 'guest ignored the ACPI shutdown: stopping it');
        await stopQemu(uuid);
      }
    }),

    powerOn: (uuid) => host.serialized(uuid, () => start(uuid)),

    reboot: (uuid, hard, softTimeoutMs) => host.serialized(uuid, async () => {
      await record(uuid);
      const paths = host.paths(uuid);
      if (!await guestPid(paths, uuid)) return start(uuid);
      if (!hard && await acpiShutdown(uuid, softTimeoutMs).catch(() => false)) return start(uuid);
      if (!hard) host.log.info({ instance: uuid }, 'guest ignored the ACPI shutdown: resetting it');
      await host.withQmp(uuid, async (q) => {
        await q.execute('system_reset');
        // A reboot ends running, also for a guest that was paused.
        await q.execute('cont');
      });
    }),

    pause: (uuid) => host.serialized(uuid, async () => {
      await running(uuid, 'pause');
      await host.withQmp(uuid, (q) => q.execute('stop'));
    }),

    unpause: (uuid) => host.serialized(uuid, async () => {
      await running(uuid, 'unpause');
      await host.withQmp(uuid, (q) => q.execute('cont'));
    }),

    suspend: (uuid) => host.serialized(uuid, async () => {
      await record(uuid);
      const paths = host.paths(uuid);
      if (!await guestPid(paths, uuid)) {
        if (await exists(paths.memoryState)) return;
        throw new Conflict(`Cannot suspend instance ${uuid}: it is not running.`);
      }
      try {
        await host.withQmp(uuid, async (q) => {
          await q.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
          const finished = q.waitEvent('MIGRATION', { match: (e) => ['completed', 'failed', 'cancelled'].includes(String(e.data?.status)), timeoutMs: 600_000 });
          finished.catch(() => undefined);
          await q.execute('migrate', { uri: outgoingUri(paths.memoryState) });
          const e = await finished;
          if (e.data?.status !== 'completed') {
            await q.execute('cont').catch(() => undefined);
            throw new Error(`saving its memory ended ${String(e.data?.status)}`);
          }
          await q.execute('quit');
        });
        if (!await waitGone(paths, uuid, 10_000)) await killGuest(paths, uuid);
        // The writer renames the state into place once all of it is on disk.
        const deadline = Date.now() + 60_000;
        while (!await exists(paths.memoryState)) {
          if (Date.now() >= deadline) throw new Error('the saved memory state never completed');
          await new Promise((r) => setTimeout(r, 50));
        }
      } catch (err) {
        await rm(`${paths.memoryState}.part`, { force: true });
        throw new Error(`Cannot suspend instance ${uuid}: ${(err as Error).message}`);
      }
    }),

    resume: (uuid) => host.serialized(uuid, async () => {
      const r = await record(uuid);
      const paths = host.paths(uuid);
      if (await guestPid(paths, uuid)) return;
      if (!await exists(paths.memoryState)) throw new Conflict(`Cannot resume instance ${uuid}: it is not suspended.`);
      await resumeFromState(uuid, r);
    }),
  };
}
