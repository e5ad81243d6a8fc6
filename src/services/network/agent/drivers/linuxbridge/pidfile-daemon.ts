// The daemons the linuxbridge agent starts in namespaces (dnsmasq, haproxy) fork away from it; they are found again
// by their pid files, so a restarted agent adopts them instead of starting twins.
import { existsSync, readFileSync } from 'node:fs';
import type { HostRunner } from './host-runner.ts';

export const readIfExists = (path: string): string | undefined => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

/** The pid in `pidFile` if that process still runs with `marker` on its command line (not a recycled pid). */
export function daemonPid(pidFile: string, marker: string): number | undefined {
  const pid = Number(readIfExists(pidFile)?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return readIfExists(`/proc/${pid}/cmdline`)?.includes(marker) ? pid : undefined;
}

/** SIGTERM, up to 2 s for the daemon to go, then SIGKILL. A daemon not running is fine. */
export async function stopDaemon(runner: HostRunner, pid: () => number | undefined): Promise<void> {
  const running = pid();
  if (running === undefined) return;
  await runner.run(['kill', '-TERM', String(running)]);
  for (let i = 0; i < 100 && pid() !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
  if (pid() !== undefined) await runner.run(['kill', '-KILL', String(running)]);
}
