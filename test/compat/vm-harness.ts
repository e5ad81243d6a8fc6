// What every real-VM suite shares: when such a suite can run, a cloud with the qemu driver (TCG) and the linuxbridge
// data plane that holds the host's data-plane lock and leaves nothing behind, and the waits and probes the suites use
// to see a guest (status settling, ping, ssh with the suite's key, the console log's boot marker).
import { after, before } from 'node:test';
import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { requireServers } from '#lib/test-servers.ts';
import { lockHostDataPlane } from '#services/network/agent/drivers/linuxbridge/test-host-lock.ts';
import { cliSkipReason, startCloud } from './harness.ts';
import type { RunningCloud } from './harness.ts';
import { until as waitUntil } from '#lib/test-wait.ts';

export type Row = Record<string, unknown>;

/** Undefined when real VMs can run here, else why not; a failure under STRATUS_REQUIRE_SERVERS=1. */
export function vmSkipReason(): string | undefined {
  const cli = cliSkipReason();
  if (cli) return cli;
  const missing = ['qemu-system-x86_64', 'ssh', 'ssh-keygen', 'haproxy', 'nft', 'dnsmasq', 'busybox'].filter((c) => {
    try { execFileSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }); return false; } catch { return true; }
  });
  const why = process.getuid?.() !== 0 ? 'real VMs need root (taps, bridges, namespaces)' : missing.length ? `missing ${missing.join(', ')}` : undefined;
  if (why && requireServers) throw new Error(`the VM suite is required (STRATUS_REQUIRE_SERVERS=1) but ${why}`);
  return why;
}

export const run = (cmd: string, args: string[], timeoutMs = 30_000) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
  execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }));
});

/** Removes every Stratus object on the host (the suite holds the data-plane lock, so they are all its own). */
export function cleanHost(dataDir: string): void {
  try { execFileSync('pkill', ['-9', '-f', dataDir]); } catch { /* nothing left running */ }
  for (const ns of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0])) {
    if (/^q(router|dhcp)-/.test(ns)) execFileSync('ip', ['netns', 'delete', ns]);
  }
  for (const family of ['bridge', 'inet']) {
    try { execFileSync('nft', ['delete', 'table', family, 'stratus'], { stdio: 'ignore' }); } catch { /* no filtered port was left */ }
  }
  for (const line of execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name && /^(brq|tap|vxlan-|stratus-ex)/.test(name)) {
      try { execFileSync('ip', ['link', 'delete', name]); } catch { /* a veth's peer went with its other end */ }
    }
  }
}

export const until = <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 180_000, everyMs = 1000): Promise<T> =>
  waitUntil(what, check, { timeoutMs, everyMs });

/** The environment of a real-VM cloud: qemu under TCG, linuxbridge, the host leg of `public`, the guest image. */
export const VM_CLOUD_ENV: Record<string, string> = {
  STRATUS_GUEST_IMAGE: 'true', STRATUS_COMPUTE_DRIVER: 'qemu', STRATUS_COMPUTE_QEMU_ACCEL: 'tcg',
  STRATUS_NETWORK_DATA_PLANE_DRIVER: 'linuxbridge', STRATUS_NETWORK_HOST_EXTERNAL_CIDR: '172.24.4.1/24',
};

export interface VmCloud {
  cloud: RunningCloud;
  /** The suite's SSH private key (its public half is `${key}.pub`). */
  key: string;
  json<T = Row>(args: string[]): Promise<T>;
  ok(args: string[]): Promise<unknown>;
  /** Waits until the server shows `want` with no task state. */
  settle(name: string, want: string, timeoutMs?: number): Promise<true>;
  ssh(ip: string, command: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Retries `command` over ssh until its output matches. */
  sshWorks(ip: string, command: string, expect: RegExp): Promise<string>;
  pings(ip: string): Promise<true>;
  /** Waits for the guest image's `STRATUS-GUEST-READY` line in the server's console log and returns the log. */
  bootMarker(name: string, match?: RegExp): Promise<string>;
  /** The cirros-like image once it is active (a first start registers it). */
  guestImage(): Promise<void>;
  /** Stops the cloud (a clean exit) and starts it again on the same data directory and ports; guests keep running. */
  restart(): Promise<void>;
}

/**
 * Starts a real-VM cloud for a suite (before/after hooks) holding the host's data-plane lock, with an SSH key made
 * for it; the getter is valid inside the tests. `env` adds to VM_CLOUD_ENV.
 */
export function useVmCloud(env: Record<string, string> = {}): () => VmCloud {
  let vm: VmCloud | undefined;
  let release: (() => void) | undefined;
  before(async () => {
    release = await lockHostDataPlane();
    const options = { logLevel: 'info', env: { ...VM_CLOUD_ENV, ...env } };
    const first = await startCloud(options);
    const key = join(first.dataDir, 'id_vm');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const restart = async () => {
      const old = vm!.cloud;
      await old.stop();
      vm = vmTools(await startCloud({ ...options, dataDir: old.dataDir, ports: old.ports, adminPassword: old.adminPassword }), key, restart);
    };
    vm = vmTools(first, key, restart);
  });
  after(async () => {
    const cloud = vm?.cloud;
    try {
      await cloud?.stop();
    } finally {
      // What the data plane wired outlives the agent by design (dnsmasq, haproxy, namespaces, bridges); holding the
      // host lock, this suite owns every Stratus object on the host and removes them with its data directory.
      if (cloud) cleanHost(cloud.dataDir);
      if (cloud) rmSync(cloud.dataDir, { recursive: true, force: true });
      release?.();
    }
  });
  return () => {
    if (!vm) throw new Error('the VM cloud is not running (use it inside tests)');
    return vm;
  };
}

function vmTools(cloud: RunningCloud, key: string, restart: () => Promise<void>): VmCloud {
  const json = <T = Row>(args: string[]): Promise<T> => cloud.openstackJson<T>(args);
  const ssh = (ip: string, command: string) => run('ssh', ['-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `root@${ip}`, command]);
  return {
    cloud, key, json, ssh, restart,
    ok: (args) => cloud.ok(args),
    settle: (name, want, timeoutMs) => until(`${name} to be ${want}`, async () => {
      const s = await json(['server', 'show', name]);
      return s.status === want && s['OS-EXT-STS:task_state'] === null;
    }, timeoutMs),
    sshWorks: (ip, command, expect) => until(`ssh ${command} on ${ip}`, async () => {
      const r = await ssh(ip, command);
      return r.code === 0 && expect.test(r.stdout) ? r.stdout : undefined;
    }, 120_000, 2000),
    pings: (ip) => until(`${ip} to answer ping`, async () => (await run('busybox', ['ping', '-c', '1', '-W', '2', ip])).code === 0, 60_000, 500),
    bootMarker: (name, match = /STRATUS-GUEST-READY/) => until(`${name}'s boot marker`, async () => {
      const out = (await cloud.openstack(['console', 'log', 'show', name])).stdout;
      return match.test(out) ? out : undefined;
    }),
    guestImage: async () => {
      await until('the cirros-like image', async () => (await cloud.openstack(['image', 'show', 'cirros-like', '-f', 'json'])).stdout.includes('"active"'), 300_000, 2000);
    },
  };
}
