// What the linuxbridge data plane needs of the host: root, and iproute2's `ip` and `bridge`, dnsmasq and nft (port
// filters, router NAT) on the PATH; metadata proxies need haproxy.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const REQUIRED_TOOLS = ['ip', 'bridge', 'dnsmasq', 'nft'] as const;

/** Whether an executable of that name is on the PATH (plus the sbin directories root's PATH usually has). */
export function onPath(tool: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the linuxbridge driver cannot run here, or undefined when it can. */
export function linuxBridgeUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `linuxbridge needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'linuxbridge needs root (bridges, namespaces and taps)';
  const missing = REQUIRED_TOOLS.filter((t) => !onPath(t));
  return missing.length ? `linuxbridge needs ${missing.join(', ')} (Debian packages iproute2, dnsmasq-base, nftables)` : undefined;
}

/** Why routers cannot be wired here (they need nftables), or undefined when they can. */
export function routersUnavailable(): string | undefined {
  return onPath('nft') ? undefined : 'routers need nft (Debian package nftables)';
}
