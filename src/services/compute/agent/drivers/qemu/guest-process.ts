// The QEMU process of a guest: started daemonized (so it outlives the agent), found again through its pidfile, and
// stopped. A pid only counts when /proc says it is a live qemu of that very guest, so a recycled pid or a zombie never
// passes for a running guest.
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import type { Logger } from '#lib/log.ts';
import type { GuestPaths } from './guest-dir.ts';

/** The pid of the guest's live QEMU, or undefined when none runs. */
export async function guestPid(paths: GuestPaths, uuid: string): Promise<number | undefined> {
  const pid = Number((await readFile(paths.pidfile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  const [stat, cmdline] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
  ]);
  // Field 3 of stat, after the parenthesised command name, is the state: Z (zombie) and X (dead) are gone.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (!state || state === 'Z' || state === 'X') return undefined;
  return cmdline.split('\0').includes(`stratus-${uuid}`) ? pid : undefined;
}

/**
 * Runs QEMU with `argv`; it daemonizes once its devices and sockets exist, so resolving means the guest's QMP socket
 * is there. Rejects with what QEMU printed when it refuses to start.
 */
export function startQemu(binary: string, argv: string[], opts: { log: Logger; timeoutMs?: number }): Promise<void> {
  opts.log.debug({ argv: [binary, ...argv] }, 'qemu');
  return new Promise((done, fail) => {
    execFile(binary, argv, { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) fail(new Error(`QEMU did not start: ${String(stderr).trim() || err.message}`));
      else done();
    });
  });
}

/** Resolves true once `pid` has exited, false when it still runs after `timeoutMs`. QEMU is not our child: poll /proc. */
export async function waitGone(paths: GuestPaths, uuid: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!await guestPid(paths, uuid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILLs the guest's QEMU (if it runs) and waits for it to be gone; removes the stale pidfile. */
export async function killGuest(paths: GuestPaths, uuid: string): Promise<void> {
  const pid = await guestPid(paths, uuid);
  if (pid) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    if (!await waitGone(paths, uuid, 10_000)) throw new Error(`QEMU process ${pid} of instance ${uuid} survived SIGKILL`);
  }
  await rm(paths.pidfile, { force: true });
}
