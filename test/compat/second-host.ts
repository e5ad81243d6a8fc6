// A real second Stratus host on this machine, for multi-host suites: a network namespace joined to the root namespace
// by a veth pair on a private /30 (198.18.0.0/15, the benchmarking range), running
// `stratus serve --services compute-agent,network-agent --no-bootstrap` inside it, as a scale-out host runs.
//
// What the second host needs to reach, and how it does here:
// - the cloud's REST endpoints and Identity: the first cloud listens on the veth's root address (bind_host) and names
//   it in its catalog (public_host), so both namespaces reach the same URLs;
// - the message bus: RabbitMQ listens on 127.0.0.1 only, so this process forwards <root address>:5672 to it; each
//   fixture gets a RabbitMQ vhost of its own, so two clouds on one broker never take each other's messages;
// - no database: compute-agent and network-agent talk only over the bus and REST, so the first cloud may keep SQLite;
// - VXLAN: each host's network.tunnel_ip is its veth address and each names the other in network.vxlan_peers;
// - anything else on the first host: the namespace's default route is the root end, so host 2 reaches the root
//   namespace's other addresses too (e.g. the address a qemu driver reports as its host IP).
//
// Use inside `describe`, BEFORE the cloud's hooks, because the first cloud binds to the veth address the fixture
// creates; the suite holds lockHostDataPlane() (useVmCloud takes it in its own `before`; the namespace needs no lock):
//   const h2 = useSecondHost({ name: 'host2', env: SECOND_HOST_VM_ENV });                   // qemu on host 2 too
//   const cloud = useCloud({ env: { ...h2.firstHostEnv, ...more } });     // or useVmCloud({ ...h2.firstHostEnv })
//   before(() => h2.start(cloud()));                                        // host 2 joins (keys copied from the cloud)
//   ... h2.exec(['ip', 'link']) runs in host 2's namespace; h2.name is its compute.host/network.host ...
// The hooks run in registration order, so the fixture's `after` (stop host 2, kill what runs in its namespace, delete
// the namespace, close the forwarder) runs before the cloud stops; the vhost is deleted when the test process exits,
// after every cloud on it is gone.
//
// Host 2's agents get the same data-plane and driver configuration a first host would (linuxbridge; `env` adds e.g.
// the qemu compute driver, whose guests then run inside the namespace too), without DHCP and L3 (host 1 keeps those).
import { after, before } from 'node:test';
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireServers, testServerUrls } from '#lib/test-servers.ts';
import { linuxBridgeUnavailable, onPath } from '#services/network/agent/drivers/linuxbridge/host-prerequisites.ts';
import type { CliResult, RunningCloud } from './harness.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface SecondHostOptions {
  /** compute.host and network.host of the second host; default `host2`. */
  name?: string;
  /**
   * More STRATUS_* options for the second host (e.g. SECOND_HOST_VM_ENV). They override the fixture's defaults (data
   * plane, vxlan_peers, dhcp_agent/l3_agent off, nova_metadata_url) but not what makes it the second host: its data
   * directory, addresses, auth_url, bus, host names, tunnel_ip, no guest image and no host_external_cidr.
   */
  env?: Record<string, string>;
  /** STRATUS_LOG_LEVEL of the second host; default `info`. */
  logLevel?: string;
}

export interface SecondHost {
  /** compute.host / network.host of the second host: what binding:host_id and server hosts say. */
  readonly name: string;
  /** The network namespace the second host runs in. */
  readonly namespace: string;
  /** The root end of the veth pair: the first cloud's bind/public host and tunnel address. */
  readonly firstHostIp: string;
  /** The namespace end of the veth pair: the second host's address and tunnel address. */
  readonly secondHostIp: string;
  /**
   * Environment for the FIRST cloud (pass it to startCloud/useCloud/useVmCloud): bind and public host on the veth, the
   * fixture's RabbitMQ vhost as bus, the linuxbridge data plane with this tunnel address and host 2 as VXLAN peer.
   */
  readonly firstHostEnv: Record<string, string>;
  /** The second host's data directory (keys copied from the first cloud, its own logs, instances, network state). */
  readonly dataDir: string;
  /** Where the second host's stdout and stderr go; it writes logs/stratus.log beside it. */
  readonly logFile: string;
  /**
   * Starts the second host against the running first cloud (copies its keys and service secrets) and resolves when it
   * printed its ready line. Rejects (with its log tail) if it exits first; call stop() before starting it again.
   */
  start(cloud: RunningCloud): Promise<void>;
  /** SIGTERM, then waits (SIGKILL after 15 s); rejects unless it exited 0. Idempotent until the next start. */
  stop(): Promise<void>;
  /** Runs a command inside the namespace; never rejects on a non-zero exit. */
  exec(argv: string[], timeoutMs?: number): Promise<CliResult>;
}

/** Host 2's options for real VMs, as VM_CLOUD_ENV gives the first host: the qemu driver under TCG (guests run in its namespace). */
export const SECOND_HOST_VM_ENV: Record<string, string> = { STRATUS_COMPUTE_DRIVER: 'qemu', STRATUS_COMPUTE_QEMU_ACCEL: 'tcg' };

/** Undefined when a second host can run here, else why not; a failure under STRATUS_REQUIRE_SERVERS=1. */
export async function secondHostSkipReason(): Promise<string | undefined> {
  let why = linuxBridgeUnavailable() ?? (onPath('rabbitmqctl') ? undefined : 'a second host needs rabbitmqctl (Debian package rabbitmq-server) for its vhost');
  if (!why) {
    const url = new URL(testServerUrls.amqp);
    why = await new Promise<string | undefined>((done) => {
      const socket = createConnection({ host: url.hostname, port: Number(url.port || 5672) });
      socket.setTimeout(2000, () => { socket.destroy(); done(`RabbitMQ at ${url.host} did not answer`); });
      socket.once('connect', () => { socket.end(); done(undefined); });
      socket.once('error', (err) => done(`RabbitMQ at ${url.host} is not reachable (${err.message})`));
    });
  }
  if (why && requireServers) throw new Error(`the two-host suite is required (STRATUS_REQUIRE_SERVERS=1) but ${why}`);
  return why && `${why}; set STRATUS_REQUIRE_SERVERS=1 to make this a failure`;
}

const ip = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const quietly = (fn: () => unknown) => { try { fn(); } catch { /* already gone */ } };

function rabbitmqctl(args: string[]): void {
  execFileSync('rabbitmqctl', ['-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

function tail(file: string, lines = 30): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

/** A TCP forwarder from listen → target, closing both sides together; close() ends every open connection too. */
async function forward(listen: { host: string; port: number }, target: { host: string; port: number }): Promise<() => Promise<void>> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = createConnection(target);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.once('error', () => { inbound.destroy(); outbound.destroy(); });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((done, fail) => server.once('error', fail).listen(listen.port, listen.host, done));
  return () => new Promise<void>((done) => {
    for (const s of sockets) s.destroy();
    server.close(() => done());
  });
}

/**
 * The second host of a suite: addresses and names are chosen at once (so `firstHostEnv` can go into the cloud's
 * options), the namespace, veth, forwarder and vhost are made in a `before` hook and removed in an `after` hook.
 * Call it inside `describe`, before the first cloud's hooks.
 */
export function useSecondHost(opts: SecondHostOptions = {}): SecondHost {
  const tag = randomBytes(3).toString('hex');
  const name = opts.name ?? 'host2';
  const namespace = `stx-h2-${tag}`;
  const rootVeth = `stxh2${tag}`;
  // A /30 of 198.18.0.0/15 (RFC 2544, never routed): .1 is the root end, .2 the namespace end.
  const block = randomBytes(3);
  const base = `198.${18 + (block[0] & 1)}.${block[1]}`;
  const quad = (block[2] & 0x3f) * 4;
  const firstHostIp = `${base}.${quad + 1}`;
  const secondHostIp = `${base}.${quad + 2}`;
  const amqp = new URL(testServerUrls.amqp);
  const vhost = `stx-h2-${tag}`;
  const busUrl = (host: string, port: string) =>
    `amqp://${amqp.username}:${amqp.password}@${host}:${port}/${encodeURIComponent(vhost)}`;
  const firstHostEnv: Record<string, string> = {
    STRATUS_BIND_HOST: firstHostIp, STRATUS_PUBLIC_HOST: firstHostIp,
    // The first host reaches RabbitMQ directly; only the namespace needs the forwarder.
    STRATUS_BUS_URL: busUrl(amqp.hostname, amqp.port || '5672'),
    STRATUS_NETWORK_DATA_PLANE_DRIVER: 'linuxbridge',
    STRATUS_NETWORK_TUNNEL_IP: firstHostIp, STRATUS_NETWORK_VXLAN_PEERS: secondHostIp,
  };
  const dataDir = join(tmpdir(), `stratus-host2-${tag}`);
  const logFile = join(dataDir, 'logs', 'console.log');

  let closeForwarder: (() => Promise<void>) | undefined;
  let vhostMade = false;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  let stopping: Promise<void> | undefined;

  const deleteVhost = () => { if (vhostMade) quietly(() => rabbitmqctl(['delete_vhost', vhost])); vhostMade = false; };

  before(async () => {
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    ip(['netns', 'add', namespace]);
    ip(['link', 'add', rootVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace]);
    ip(['addr', 'add', `${firstHostIp}/30`, 'dev', rootVeth]);
    ip(['link', 'set', 'dev', rootVeth, 'up']);
    ip(['-n', namespace, 'link', 'set', 'dev', 'lo', 'up']);
    ip(['-n', namespace, 'addr', 'add', `${secondHostIp}/30`, 'dev', 'eth0']);
    ip(['-n', namespace, 'link', 'set', 'dev', 'eth0', 'up']);
    // Everything beyond the /30 (the root namespace's other addresses) is reached through the first host.
    ip(['-n', namespace, 'route', 'add', 'default', 'via', firstHostIp]);
    // The vhost goes when the test process exits: only then has every cloud on it stopped (hooks run in order).
    rabbitmqctl(['add_vhost', vhost]);
    vhostMade = true;
    process.once('exit', deleteVhost);
    rabbitmqctl(['set_permissions', '-p', vhost, decodeURIComponent(amqp.username), '.*', '.*', '.*']);
    closeForwarder = await forward({ host: firstHostIp, port: Number(amqp.port || 5672) }, { host: amqp.hostname, port: Number(amqp.port || 5672) });
  });

  after(async () => {
    let failure: unknown;
    try {
      await host.stop();
    } catch (err) {
      failure = err;
    }
    // What host 2 started in its namespace (guests, daemons) would keep it alive: the namespace is ours, so all of it goes.
    quietly(() => {
      for (const pid of ip(['netns', 'pids', namespace]).toString().split('\n').filter(Boolean)) quietly(() => process.kill(Number(pid), 'SIGKILL'));
    });
    quietly(() => ip(['netns', 'delete', namespace]));
    quietly(() => ip(['link', 'delete', rootVeth]));
    await closeForwarder?.();
    rmSync(dataDir, { recursive: true, force: true });
    if (failure) throw failure;
  });

  const host: SecondHost = {
    name, namespace, firstHostIp, secondHostIp, firstHostEnv, dataDir, logFile,
    async start(cloud) {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error('the second host is already running');
      // A scale-out host carries a copy of the cloud's keys: token keys, credentials, service users, shared secrets.
      cpSync(join(cloud.dataDir, 'keys'), join(dataDir, 'keys'), { recursive: true });
      mkdirSync(join(dataDir, 'logs'), { recursive: true });
      const env: NodeJS.ProcessEnv = {
        ...process.env, STRATUS_LOG_LEVEL: opts.logLevel ?? 'info',
        STRATUS_NETWORK_DATA_PLANE_DRIVER: 'linuxbridge', STRATUS_NETWORK_VXLAN_PEERS: firstHostIp,
        // DHCP and routers stay on the first host, as with one network node.
        STRATUS_NETWORK_DHCP_AGENT: 'false', STRATUS_NETWORK_L3_AGENT: 'false',
        // Guests' metadata requests are proxied on the first host (DHCP namespace or router): its metadata API.
        STRATUS_NETWORK_NOVA_METADATA_URL: `http://${firstHostIp}:${cloud.ports.compute_metadata}`,
        ...opts.env,
        // What makes this host the fixture's second host, whatever `env` says (it may carry a first host's VM options).
        STRATUS_DATA_DIR: dataDir, STRATUS_GUEST_IMAGE: 'false', STRATUS_NETWORK_HOST_EXTERNAL_CIDR: '',
        STRATUS_BIND_HOST: secondHostIp, STRATUS_PUBLIC_HOST: secondHostIp,
        STRATUS_AUTH_URL: `http://${firstHostIp}:${cloud.ports.identity}/v3`,
        STRATUS_BUS_URL: busUrl(firstHostIp, amqp.port || '5672'),
        STRATUS_COMPUTE_HOST: name, STRATUS_NETWORK_HOST: name, STRATUS_NETWORK_TUNNEL_IP: secondHostIp,
      };
      const log = createWriteStream(logFile, { flags: 'a' });
      const proc = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--disable-warning=ExperimentalWarning', 'src/cmd/stratus.ts',
        'serve', '--services', 'compute-agent,network-agent', '--no-bootstrap'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      stopping = undefined;
      proc.stdout!.pipe(log, { end: false });
      proc.stderr!.pipe(log, { end: false });
      exited = new Promise((done) => proc.once('close', (code) => { log.end(); done(code); }));
      const killOnExit = () => proc.kill('SIGKILL');
      process.once('exit', killOnExit);
      void exited.then(() => process.off('exit', killOnExit));
      await new Promise<void>((done, fail) => {
        let seen = '';
        const finish = (err?: Error) => {
          clearTimeout(timer);
          proc.stdout!.off('data', onData);
          proc.off('exit', onExit);
          if (err) { proc.kill('SIGKILL'); fail(err); } else done();
        };
        const timer = setTimeout(() => finish(new Error(`the second host was not ready within ${READY_TIMEOUT_MS} ms; log tail:\n${tail(logFile)}`)), READY_TIMEOUT_MS);
        const onData = (chunk: Buffer) => {
          seen = (seen + chunk.toString('utf8')).slice(-4096);
          if (/^Stratus is ready/m.test(seen)) finish();
        };
        const onExit = (code: number | null) => finish(new Error(`the second host exited (${code}) before it was ready; log tail:\n${tail(logFile)}`));
        proc.stdout!.on('data', onData);
        proc.once('exit', onExit);
      });
    },
    stop() {
      const proc = child;
      if (!proc || !exited) return Promise.resolve();
      const done = exited;
      stopping ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
        const code = await done;
        clearTimeout(timer);
        if (code !== 0) throw new Error(`the second host exited with ${code ?? proc.signalCode} on SIGTERM, not 0; log tail:\n${tail(logFile)}`);
      })();
      return stopping;
    },
    exec(argv, timeoutMs = 30_000) {
      return new Promise((done) => {
        execFile('ip', ['netns', 'exec', namespace, ...argv], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
        });
      });
    },
  };
  return host;
}
