// Real virtual machines end to end, as issue 8's acceptance: the Debian openstack CLI against `stratus up` with the
// qemu driver (TCG here) and the linuxbridge data plane. A key pair, a private network behind a router on the public
// network, a server from the cirros-like image that reads its key from the metadata service, a floating IP the host
// pings and SSHes to, a volume the guest sees, every power action, a snapshot that boots, a noVNC console whose
// websocket speaks RFB, and a delete that leaves no process, tap or file behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { requireServers } from '#lib/test-servers.ts';
import { lockHostDataPlane } from '#services/network/agent/drivers/linuxbridge/test-host-lock.ts';
import { cliSkipReason, startCloud } from './harness.ts';
import type { RunningCloud } from './harness.ts';

type Row = Record<string, unknown>;

function vmSkipReason(): string | undefined {
  const cli = cliSkipReason();
  if (cli) return cli;
  const missing = ['qemu-system-x86_64', 'ssh', 'ssh-keygen', 'haproxy', 'nft', 'dnsmasq', 'busybox'].filter((c) => {
    try { execFileSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }); return false; } catch { return true; }
  });
  const why = process.getuid?.() !== 0 ? 'real VMs need root (taps, bridges, namespaces)' : missing.length ? `missing ${missing.join(', ')}` : undefined;
  if (why && requireServers) throw new Error(`the VM suite is required (STRATUS_REQUIRE_SERVERS=1) but ${why}`);
  return why;
}

const run = (cmd: string, args: string[], timeoutMs = 30_000) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
  execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }));
});

function cleanHost(dataDir: string): void {
  try { execFileSync('pkill', ['-9', '-f', dataDir]); } catch { /* nothing left running */ }
  for (const ns of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0])) {
    if (/^q(router|dhcp)-/.test(ns)) execFileSync('ip', ['netns', 'delete', ns]);
  }
  for (const line of execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name && /^(brq|tap|vxlan-|stratus-ex)/.test(name)) {
      try { execFileSync('ip', ['link', 'delete', name]); } catch { /* a veth's peer went with its other end */ }
    }
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 180_000, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('real VMs through the openstack CLI', { skip: vmSkipReason() }, () => {
  let cloud: RunningCloud;
  let release: () => void;
  let key: string;
  before(async () => {
    release = await lockHostDataPlane();
    cloud = await startCloud({ logLevel: 'info', env: {
      STRATUS_GUEST_IMAGE: 'true', STRATUS_COMPUTE_DRIVER: 'qemu', STRATUS_COMPUTE_QEMU_ACCEL: 'tcg',
      STRATUS_NETWORK_DATA_PLANE_DRIVER: 'linuxbridge', STRATUS_NETWORK_HOST_EXTERNAL_CIDR: '172.24.4.1/24',
    } });
    key = join(cloud.dataDir, 'id_vm');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  });
  after(async () => {
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

  const json = <T = Row>(args: string[]): Promise<T> => cloud.openstackJson<T>(args);
  const ok = (args: string[]) => cloud.ok(args);
  const status = async (name: string) => (await json(['server', 'show', name])).status as string;
  const settle = (name: string, want: string) => until(`${name} to be ${want}`, async () => {
    const s = await json(['server', 'show', name]);
    return s.status === want && s['OS-EXT-STS:task_state'] === null;
  });
  const ssh = (ip: string, command: string) => run('ssh', ['-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `root@${ip}`, command]);
  const sshWorks = (ip: string, command: string, expect: RegExp) => until(`ssh ${command} on ${ip}`, async () => {
    const r = await ssh(ip, command);
    return r.code === 0 && expect.test(r.stdout) ? r.stdout : undefined;
  }, 120_000, 2000);
  const pings = (ip: string) => until(`${ip} to answer ping`, async () => (await run('busybox', ['ping', '-c', '1', '-W', '2', ip])).code === 0, 60_000, 500);
  let fip = '';
  let fixed = '';

  it('boots a server on a private network behind a router, which reads its key from the metadata service', async () => {
    await until('the cirros-like image', async () => (await cloud.openstack(['image', 'show', 'cirros-like', '-f', 'json'])).stdout.includes('"active"'), 300_000, 2000);
    await ok(['keypair', 'create', '--public-key', `${key}.pub`, 'vm-key']);
    await ok(['network', 'create', 'private']);
    await ok(['subnet', 'create', '--network', 'private', '--subnet-range', '10.20.0.0/24', 'private-subnet']);
    await ok(['router', 'create', 'r1']);
    await ok(['router', 'set', '--external-gateway', 'public', 'r1']);
    await ok(['router', 'add', 'subnet', 'r1', 'private-subnet']);
    const server = await json(['server', 'create', '--image', 'cirros-like', '--flavor', 'm1.tiny', '--key-name', 'vm-key', '--network', 'private', '--wait', 'vm1']);
    assert.equal(server.status, 'ACTIVE');
    fixed = /10\.20\.0\.\d+/.exec(JSON.stringify((await json(['server', 'show', 'vm1'])).addresses))![0];
    const log = await until('the boot marker', async () => {
      const out = (await cloud.openstack(['console', 'log', 'show', 'vm1'])).stdout;
      return /STRATUS-GUEST-READY/.test(out) ? out : undefined;
    });
    assert.match(log, new RegExp(`STRATUS-GUEST-READY hostname=vm1\\S* ip=${fixed.replaceAll('.', '\\.')}`));
    const hypervisor = (await json<Row[]>(['hypervisor', 'list']))[0];
    assert.equal(hypervisor['Hypervisor Type'], 'QEMU');
  });

  it('reaches the guest from the host through a floating IP: ping and ssh with the key from metadata', async () => {
    fip = String((await json(['floating', 'ip', 'create', 'public'])).floating_ip_address);
    await ok(['server', 'add', 'floating', 'ip', 'vm1', fip]);
    await pings(fip);
    assert.match(await sshWorks(fip, 'hostname', /vm1/), /vm1/);
  });

  it('hot-plugs a volume the guest sees', async () => {
    await ok(['volume', 'create', '--size', '1', 'data']);
    await until('the volume', async () => (await json(['volume', 'show', 'data'])).status === 'available', 60_000);
    await ok(['server', 'add', 'volume', 'vm1', 'data']);
    await until('the volume in use', async () => (await json(['volume', 'show', 'data'])).status === 'in-use', 60_000);
    await sshWorks(fip, 'cat /proc/partitions', /vdb/);
  });

  it('stops and starts, reboots, pauses and suspends, and the guest is alive after each', async () => {
    for (const [act, want, back] of [['stop', 'SHUTOFF', 'start'], ['pause', 'PAUSED', 'unpause'], ['suspend', 'SUSPENDED', 'resume']] as const) {
      await ok(['server', act, 'vm1']);
      await settle('vm1', want);
      await ok(['server', back, 'vm1']);
      await settle('vm1', 'ACTIVE');
      await pings(fip);
    }
    await ok(['server', 'reboot', '--hard', 'vm1']);
    await settle('vm1', 'ACTIVE');
    await sshWorks(fip, 'hostname', /vm1/);
    assert.equal(await status('vm1'), 'ACTIVE');
  });

  it('snapshots the server into an image that boots a second server', async () => {
    const snap = await json(['server', 'image', 'create', '--name', 'vm1-snap', '--wait', 'vm1']);
    assert.equal(snap.status, 'active');
    const second = await json(['server', 'create', '--image', 'vm1-snap', '--flavor', 'm1.tiny', '--network', 'private', '--wait', 'vm2']);
    assert.equal(second.status, 'ACTIVE');
    await until('vm2\'s boot marker', async () => /STRATUS-GUEST-READY hostname=vm2/.test((await cloud.openstack(['console', 'log', 'show', 'vm2'])).stdout));
    await ok(['server', 'delete', '--wait', 'vm2']);
  });

  it('resizes the server on its host and confirms it, with the guest back up', async () => {
    await ok(['server', 'resize', '--flavor', 'm1.small', 'vm1']);
    await settle('vm1', 'VERIFY_RESIZE');
    await ok(['server', 'resize', 'confirm', 'vm1']);
    await settle('vm1', 'ACTIVE');
    assert.equal((await json(['server', 'show', 'vm1'])).flavor, 'm1.small (2)');
    await sshWorks(fip, 'cat /proc/meminfo', /MemTotal:\s+(19|20)\d{5} kB/);
  });

  it('gives a noVNC console URL whose websocket speaks RFB', async () => {
    const url = String((await json(['console', 'url', 'show', '--novnc', 'vm1'])).url);
    const token = new URL(decodeURIComponent(new URL(url).searchParams.get('path') ?? '').replace(/^\?/, 'http://x/?')).searchParams.get('token');
    assert.ok(token, url);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const ws = new WebSocket(`ws://${new URL(url).host}/?token=${token}`, ['binary'], { origin: new URL(url).origin });
    const first = await new Promise<Buffer>((done, fail) => {
      ws.once('message', (data) => done(data as Buffer));
      ws.once('error', fail);
      ws.once('close', (code, reason) => fail(new Error(`closed ${code} ${String(reason)}`)));
    });
    ws.close();
    assert.match(first.toString('latin1'), /^RFB 003\.00\d\n/);
  });

  it('deletes the server and leaves no process, tap or disk behind', async () => {
    const ports = (await json<Row[]>(['port', 'list', '--server', 'vm1'])).map((p) => String(p.ID));
    await ok(['server', 'remove', 'volume', 'vm1', 'data']).catch(() => undefined);
    await ok(['server', 'delete', '--wait', 'vm1']);
    const instances = join(cloud.dataDir, 'instances');
    assert.deepEqual(existsSync(instances) ? readdirSync(instances).filter((d) => d !== '_base') : [], []);
    const qemu = await run('pgrep', ['-f', `qemu-system-x86_64.*${cloud.dataDir}`]);
    assert.equal(qemu.stdout.trim(), '', 'no qemu of this cloud runs');
    const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
    for (const p of ports) assert.ok(!links.includes(`tap${p.slice(0, 11)}`), `tap of port ${p} is gone`);
  });
});
