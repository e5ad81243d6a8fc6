// Test fixture for suites that wire the real host with the linuxbridge driver: why one cannot run here, a host
// runner that ignores what is already gone, and a driver with the tests' defaults (no tunnel peers, no physical
// interfaces, silent). Suites also hold lockHostDataPlane() from test-host-lock.ts.
import { silentLogger } from '#lib/log.ts';
import { requireServers } from '#lib/test-servers.ts';
import { linuxBridgeUnavailable, onPath, routersUnavailable } from './host-prerequisites.ts';
import { createHostRunner } from './host-runner.ts';
import { createLinuxBridgeDriver } from './linuxbridge-driver.ts';
import type { LinuxBridgeOptions } from './linuxbridge-driver.ts';

/**
 * Why `what` cannot run on this host (the linuxbridge prerequisites, the router ones with `routers`, and each of
 * `tools`: command → its Debian package), or undefined. With STRATUS_REQUIRE_SERVERS=1 a missing prerequisite
 * fails instead of skipping.
 */
export function dataPlaneSkipReason(what: string, opts: { routers?: boolean; tools?: Record<string, string> } = {}): string | undefined {
  const missingTool = Object.entries(opts.tools ?? {}).find(([tool]) => !onPath(tool));
  const reason = linuxBridgeUnavailable() ?? (opts.routers ? routersUnavailable() : undefined)
    ?? (missingTool && `${what} needs ${missingTool[0]} (Debian package ${missingTool[1]})`);
  if (reason && requireServers) throw new Error(`${what} is required (STRATUS_REQUIRE_SERVERS=1): ${reason}`);
  return reason && `${reason}; set STRATUS_REQUIRE_SERVERS=1 to make this a failure`;
}

const host = createHostRunner();

/** Runs a cleanup command, ignoring failure (the object is usually gone already). */
export async function quietly(argv: string[]): Promise<void> {
  try { await host.run(argv); } catch { /* already gone */ }
}

/** A linuxbridge driver keeping its state in `stateDir`, with the tests' defaults unless `extra` says otherwise. */
export function testLinuxBridgeDriver(stateDir: string, extra: Partial<LinuxBridgeOptions> = {}) {
  return createLinuxBridgeDriver({ tunnelIp: '', vxlanGroup: '', vxlanPeers: [], physicalInterfaces: {}, stateDir, dhcpLeaseSeconds: 600, log: silentLogger(), ...extra });
}
