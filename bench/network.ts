// `npm run bench -- network`: Networking through `stratus up` with the linuxbridge data plane on this host (root):
// BENCH_PORTS (default 200) ports created through the API at BENCH_CONCURRENCY (default 8), each counted when it is
// bound and wired (ACTIVE: tap on the bridge, security group filter applied) and its DHCP entry is live (its MAC in
// dnsmasq's hosts file); then BENCH_LEASES (default 5) times, one at a time, the time from POST /ports to a namespace
// "VM" on that port holding its DHCP lease (busybox udhcpc). Holds the host data-plane lock the tests take, since an
// agent's resync prunes Stratus devices it does not know.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { freePort, issueToken, startStratus } from './stratus-process.ts';
import { lockHostDataPlane } from '../src/services/network/agent/drivers/linuxbridge/test-host-lock.ts';
import { bridgeName, tapName } from '../src/services/network/domain/device-names.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const HOST = 'bench-network';

export async function main(args: string[]): Promise<void> {
  if (args.length) throw new Error(`bench network takes no options (got ${args.join(' ')}); use BENCH_PORTS, BENCH_CONCURRENCY, BENCH_LEASES`);
  if (process.getuid?.() !== 0) throw new Error('bench network wires the real data plane: run it as root');
  const count = env('BENCH_PORTS', 200);
  const concurrency = env('BENCH_CONCURRENCY', 8);
  const leases = env('BENCH_LEASES', 5);
  const unlock = await lockHostDataPlane(600_000);
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-bench-net-'));
  const vniBase = 1_000_000 + randomInt(15_000_000);
  // Every service on a free port: other clouds (test suites) may hold the default ones on this host.
  const sections = ['compute', 'placement', 'image', 'network', 'block_storage', 'object_storage', 'orchestration', 'telemetry', 'dashboard', 'compute_novncproxy', 'compute_serialproxy', 'compute_metadata'];
  const ports: Record<string, string> = {};
  for (const section of sections) ports[`STRATUS_${section.toUpperCase()}_PORT`] = String(await freePort());
  const stratus = await startStratus({
    env: {
      ...ports,
      STRATUS_NETWORK_DATA_PLANE_DRIVER: 'linuxbridge', STRATUS_NETWORK_HOST: HOST, STRATUS_NETWORK_STATE_PATH: stateDir,
      STRATUS_NETWORK_VNI_RANGES: `${vniBase}:${vniBase + 10}`,
      // BENCH_HOST_TRACE=<file>: every host command the agent runs, with its wall time (host-runner.ts).
      ...(process.env.BENCH_HOST_TRACE ? { STRATUS_HOST_COMMAND_TRACE: process.env.BENCH_HOST_TRACE } : {}),
    },
  }).catch((err: unknown) => {
    rmSync(stateDir, { recursive: true, force: true });
    unlock();
    throw err;
  });
  const vmNs = `stratus-bench-vm-${randomBytes(3).toString('hex')}`;
  let networkId: string | undefined;
  let neutron = '';
  let h: Record<string, string> = {};
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, any>> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${neutron}${path}`, { method, headers: h, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : {};
  };
  try {
    const token = await issueToken(stratus.url, stratus.admin);
    const doc = await (await fetch(`${stratus.url}/v3/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } })).json() as {
      token: { project: { id: string }; catalog: { type: string; endpoints: { interface: string; url: string }[] }[] };
    };
    neutron = doc.token.catalog.find((s) => s.type === 'network')!.endpoints.find((e) => e.interface === 'public')!.url.replace(/\/$/, '');
    h = { 'x-auth-token': token, 'content-type': 'application/json' };
    await call('PUT', `/v2.0/quotas/${doc.token.project.id}`, { quota: { port: -1 } });
    networkId = (await call('POST', '/v2.0/networks', { network: { name: 'bench' } })).network.id as string;
    await call('POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr: `10.${randomInt(100, 250)}.0.0/16` } });
    const hostsFile = join(stateDir, 'dhcp', networkId, 'host');
    const inHosts = (mac: string) => existsSync(hostsFile) && readFileSync(hostsFile, 'utf8').includes(mac);
    const ready = async (id: string, mac: string) => {
      for (;;) {
        const status = (await call('GET', `/v2.0/ports/${id}?fields=status`)).port.status;
        if (status === 'ACTIVE' && inHosts(mac)) return;
        await sleep(20);
      }
    };
    // Warm-up: the network's bridge, DHCP namespace and dnsmasq exist before the clock starts.
    const first = (await call('POST', '/v2.0/ports', { port: { network_id: networkId, 'binding:host_id': HOST } })).port;
    await ready(first.id, first.mac_address);

    // Ports per second, bound and wired with a live DHCP entry, at the given concurrency.
    const latencies: number[] = [];
    let started = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started += 1;
        const p0 = performance.now();
        const port = (await call('POST', '/v2.0/ports', { port: { network_id: networkId, 'binding:host_id': HOST } })).port;
        await ready(port.id, port.mac_address);
        latencies.push(performance.now() - p0);
      }
    }));
    const seconds = (performance.now() - t0) / 1000;

    // Port create to a namespace VM holding its lease, one at a time: create, plug the VM's veth as the port's tap,
    // bind, and run udhcpc until it is bound (as Nova does: port, vif plug, binding).
    const script = join(stateDir, 'udhcpc-bound');
    writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && echo "LEASE $ip"\nexit 0\n', { mode: 0o755 });
    const leaseMs: number[] = [];
    for (let i = 0; i < leases; i++) {
      const l0 = performance.now();
      const port = (await call('POST', '/v2.0/ports', { port: { network_id: networkId } })).port;
      await run('ip', ['netns', 'add', vmNs]);
      await run('ip', ['link', 'add', tapName(port.id), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vmNs]);
      await run('ip', ['netns', 'exec', vmNs, 'ip', 'link', 'set', 'dev', 'eth0', 'address', port.mac_address, 'up']);
      await call('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': HOST } });
      const { stdout } = await run('ip', ['netns', 'exec', vmNs, 'busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-t', '30', '-T', '1', '-A', '1', '-s', script]);
      if (!stdout.includes(`LEASE ${port.fixed_ips[0].ip_address}`)) throw new Error(`udhcpc got no lease for ${port.fixed_ips[0].ip_address}: ${stdout}`);
      leaseMs.push(performance.now() - l0);
      await run('ip', ['netns', 'del', vmNs]);
      await call('DELETE', `/v2.0/ports/${port.id}`);
    }

    latencies.sort((a, b) => a - b);
    leaseMs.sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({
      ports: count, concurrency, portsPerSecond: Number((count / seconds).toFixed(1)),
      readyP50Ms: Math.round(pct(latencies, 50)), readyP95Ms: Math.round(pct(latencies, 95)), readyMaxMs: Math.round(latencies.at(-1)!),
      leases, leaseP50Ms: Math.round(pct(leaseMs, 50)), leaseMaxMs: Math.round(leaseMs.at(-1)!),
      cpus: cpus().length, load: loadavg().map((l) => l.toFixed(2)).join(' '),
    }, null, 2)}\n`);
  } finally {
    await run('ip', ['netns', 'del', vmNs]).catch(() => undefined);
    // Ports and the network through the API, so the agent takes its taps, filters, bridge and DHCP namespace along.
    if (networkId && neutron) {
      const ports = ((await call('GET', `/v2.0/ports?network_id=${networkId}`).catch(() => ({ ports: [] }))).ports as { id: string; device_owner: string }[])
        .filter((p) => !p.device_owner.startsWith('network:'));
      for (let i = 0; i < ports.length; i += concurrency) await Promise.all(ports.slice(i, i + concurrency).map((p) => call('DELETE', `/v2.0/ports/${p.id}`).catch(() => undefined)));
      await call('DELETE', `/v2.0/networks/${networkId}`).catch(() => undefined);
      const bridge = bridgeName(networkId);
      const gone = async () => !existsSync(join(stateDir, 'dhcp', networkId!)) && !(await run('ip', ['link', 'show', bridge]).then(() => true, () => false));
      for (let i = 0; i < 600 && !(await gone()); i++) await sleep(100);
    }
    await stratus.stop();
    await stopLeftDaemons(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
    unlock();
  }
}

/** Stops any dnsmasq or haproxy still running from this bench's private state directory (found by their pid files). */
async function stopLeftDaemons(stateDir: string): Promise<void> {
  const pidFiles = readdirSync(stateDir, { recursive: true, encoding: 'utf8' }).filter((f) => basename(f) === 'pid').map((f) => join(stateDir, f));
  for (const file of pidFiles) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    const cmdline = Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
    if (cmdline.includes(stateDir)) process.kill(pid, 'SIGTERM');
  }
}
