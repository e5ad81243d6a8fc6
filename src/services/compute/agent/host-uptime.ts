// The host's uptime line, as the `uptime` command prints it (Nova's libvirt driver answers get_host_uptime with that
// command's output, and clients parse it): the time, how long the host has been up, users, and the load averages.
import { loadavg, uptime } from 'node:os';

/** e.g. " 17:37:14 up 3 days,  2:33,  0 users,  load average: 0.33, 0.36, 0.34" (users: Stratus does not count them). */
export function hostUptimeLine(now = new Date(), upSeconds = uptime(), load = loadavg()): string {
  const time = now.toISOString().slice(11, 19);
  const days = Math.floor(upSeconds / 86_400);
  const hours = Math.floor((upSeconds % 86_400) / 3600);
  const minutes = Math.floor((upSeconds % 3600) / 60);
  const clock = hours ? `${String(hours).padStart(2, ' ')}:${String(minutes).padStart(2, '0')}` : `${minutes} min`;
  const up = days ? `${days} day${days === 1 ? '' : 's'}, ${clock}` : clock;
  return ` ${time} up ${up},  0 users,  load average: ${load.map((l) => l.toFixed(2)).join(', ')}`;
}
