// The metadata proxies (one haproxy per router or isolated network namespace): started inside the namespace, found
// again by their pid file (an agent restart adopts them), restarted only when their configuration changed.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRunner } from './host-runner.ts';
import { daemonPid, readIfExists as read, stopDaemon } from './pidfile-daemon.ts';
import { metadataProxyConfig } from './metadata-proxy-config.ts';
import type { MetadataProxySettings } from './metadata-proxy-config.ts';

export function createMetadataProxies(runner: HostRunner, stateDir: string) {
  const root = join(stateDir, 'metadata-proxy');
  const files = (key: string) => ({ dir: join(root, key), config: join(root, key, 'haproxy.cfg'), pid: join(root, key, 'pid') });
  /** The pid of the proxy if it runs (the pid file's process, still a haproxy reading that configuration). */
  const running = (key: string): number | undefined => daemonPid(files(key).pid, files(key).config);
  const stop = (key: string) => stopDaemon(runner, () => running(key));
  return {
    running,
    /**
     * Makes the proxy `key` (a router or network id) run in `namespace` with these settings; a running one with the
     * same configuration is left alone. `pidFile` of the settings is the proxy's own.
     */
    async apply(key: string, namespace: string, settings: Omit<MetadataProxySettings, 'pidFile'>): Promise<void> {
      const f = files(key);
      mkdirSync(f.dir, { recursive: true });
      const config = metadataProxyConfig({ ...settings, pidFile: f.pid });
      const pid = running(key);
      if (pid !== undefined && read(f.config) === config) return;
      if (pid !== undefined) await stop(key);
      writeFileSync(f.config, config);
      // haproxy daemonizes: the command returns once it listens (or failed, saying why on stderr).
      await runner.run(['ip', 'netns', 'exec', namespace, 'haproxy', '-q', '-f', f.config]);
    },
    /** Stops the proxy and removes its files. Idempotent. */
    async remove(key: string): Promise<void> {
      await stop(key);
      rmSync(files(key).dir, { recursive: true, force: true });
    },
    /** Keys with proxy state here (running or not). */
    keys(): string[] {
      return existsSync(root) ? readdirSync(root) : [];
    },
  };
}

export type MetadataProxies = ReturnType<typeof createMetadataProxies>;
