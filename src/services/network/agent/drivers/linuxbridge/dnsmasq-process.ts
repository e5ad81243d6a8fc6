// One network's dnsmasq process: started inside the DHCP namespace, found again by its pid file (so an agent restart
// adopts it), reloaded with SIGHUP when its hosts grew or its options changed, restarted when its command line changed
// or a host entry went.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRunner } from './host-runner.ts';
import { daemonPid, readIfExists as read, stopDaemon } from './pidfile-daemon.ts';
import type { DnsmasqFiles } from './dnsmasq-config.ts';

export interface DnsmasqConfig { args: string[]; hosts: string; opts: string }

export function createDnsmasqProcesses(runner: HostRunner, stateDir: string) {
  const dirOf = (networkId: string) => join(stateDir, 'dhcp', networkId);
  const files = (networkId: string): DnsmasqFiles & { args: string } => {
    const dir = dirOf(networkId);
    return { pid: join(dir, 'pid'), hosts: join(dir, 'host'), opts: join(dir, 'opts'), args: join(dir, 'args') };
  };
  /** The pid of the network's dnsmasq if it runs (the pid file's process, still a dnsmasq using that pid file). */
  const running = (networkId: string): number | undefined => daemonPid(files(networkId).pid, files(networkId).pid);
  const stop = (networkId: string) => stopDaemon(runner, () => running(networkId));
  return {
    files,
    running,
    /** Makes the network's dnsmasq run with this configuration, touching a running one only when it changed. */
    async apply(networkId: string, namespace: string, config: DnsmasqConfig): Promise<void> {
      const f = files(networkId);
      mkdirSync(dirOf(networkId), { recursive: true });
      const argsText = JSON.stringify(config.args);
      const oldHosts = read(f.hosts);
      // dnsmasq keeps the leases it gave in memory (leasefile-ro) and will not offer a leased address to another MAC
      // until the lease ends: when an entry goes (its port deleted, its address free for the next port), it restarts
      // with no leases, where Neutron releases each one with dhcp_release. Clients renew their static addresses.
      const wanted = new Set(config.hosts.split('\n'));
      const dropped = oldHosts !== undefined && oldHosts.split('\n').some((line) => line && !wanted.has(line));
      const changedFiles = oldHosts !== config.hosts || read(f.opts) !== config.opts;
      if (changedFiles) {
        writeFileSync(f.hosts, config.hosts);
        writeFileSync(f.opts, config.opts);
      }
      const pid = running(networkId);
      if (pid !== undefined && read(f.args) === argsText && !dropped) {
        if (changedFiles) await runner.run(['kill', '-HUP', String(pid)]);
        return;
      }
      if (pid !== undefined) await stop(networkId);
      writeFileSync(f.args, argsText);
      // dnsmasq forks: the command returns once the daemon is up (or failed, with the reason on stderr).
      await runner.run(['ip', 'netns', 'exec', namespace, ...config.args]);
    },
    /** Stops the network's dnsmasq and removes its files. */
    async remove(networkId: string): Promise<void> {
      await stop(networkId);
      rmSync(dirOf(networkId), { recursive: true, force: true });
    },
    /** Networks that have DHCP state here (running or not). */
    networks(): string[] {
      const dir = join(stateDir, 'dhcp');
      return existsSync(dir) ? readdirSync(dir) : [];
    },
  };
}

export type DnsmasqProcesses = ReturnType<typeof createDnsmasqProcesses>;
