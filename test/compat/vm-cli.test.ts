// Real virtual machines end to end, as issue 8's acceptance: the Debian openstack CLI against `stratus up` with the
// qemu driver (TCG here) and the linuxbridge data plane. A key pair, a private network behind a router on the public
// network, a server from the cirros-like image that reads its key from the metadata service, a floating IP the host
// pings and SSHes to, a volume the guest sees, every power action, a snapshot that boots, a noVNC console whose
// websocket speaks RFB, and a delete that leaves no process, tap or file behind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { run, until, useVmCloud, vmSkipReason } from './vm-harness.ts';
import type { Row } from './vm-harness.ts';

describe('real VMs through the openstack CLI', { skip: vmSkipReason() }, () => {
  const vm = useVmCloud();
  const json = <T = Row>(args: string[]): Promise<T> => vm().json<T>(args);
  const ok = (args: string[]) => vm().ok(args);
  const status = async (name: string) => (await json(['server', 'show', name])).status as string;
  const settle = (name: string, want: string) => vm().settle(name, want);
  const sshWorks = (ip: string, command: string, expect: RegExp) => vm().sshWorks(ip, command, expect);
  const pings = (ip: string) => vm().pings(ip);
  let fip = '';
  let fixed = '';

  it('boots a server on a private network behind a router, which reads its key from the metadata service', async () => {
    await vm().guestImage();
    await ok(['keypair', 'create', '--public-key', `${vm().key}.pub`, 'vm-key']);
    await ok(['network', 'create', 'private']);
    await ok(['subnet', 'create', '--network', 'private', '--subnet-range', '10.20.0.0/24', 'private-subnet']);
    await ok(['router', 'create', 'r1']);
    await ok(['router', 'set', '--external-gateway', 'public', 'r1']);
    await ok(['router', 'add', 'subnet', 'r1', 'private-subnet']);
    const server = await json(['server', 'create', '--image', 'cirros-like', '--flavor', 'm1.tiny', '--key-name', 'vm-key', '--network', 'private', '--wait', 'vm1']);
    assert.equal(server.status, 'ACTIVE');
    fixed = /10\.20\.0\.\d+/.exec(JSON.stringify((await json(['server', 'show', 'vm1'])).addresses))![0];
    const log = await until('the boot marker', async () => {
      const out = (await vm().cloud.openstack(['console', 'log', 'show', 'vm1'])).stdout;
      return /STRATUS-GUEST-READY/.test(out) ? out : undefined;
    });
    assert.match(log, new RegExp(`STRATUS-GUEST-READY hostname=vm1\\S* ip=${fixed.replaceAll('.', '\\.')}`));
    const hypervisor = (await json<Row[]>(['hypervisor', 'list']))[0];
    assert.equal(hypervisor['Hypervisor Type'], 'QEMU');
  });

  it('reaches the guest from the host through a floating IP: ping and ssh with the key from metadata', async () => {
    fip = String((await json(['floating', 'ip', 'create', 'public'])).floating_ip_address);
    await ok(['server', 'add', 'floating', 'ip', 'vm1', fip]);
    // Security groups are enforced: with the default group's rules alone (its own members in), the wired floating IP
    // does not answer the host; the two rules a user adds on OpenStack open ping and ssh.
    await until('the floating IP ACTIVE', async () => (await json(['floating', 'ip', 'show', fip])).status === 'ACTIVE', 60_000);
    assert.notEqual((await run('busybox', ['ping', '-c', '3', '-W', '2', fip])).code, 0, 'the default security group keeps the host out');
    await ok(['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default']);
    await ok(['security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', 'default']);
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
    await until('vm2\'s boot marker', async () => /STRATUS-GUEST-READY hostname=vm2/.test((await vm().cloud.openstack(['console', 'log', 'show', 'vm2'])).stdout));
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
    const instances = join(vm().cloud.dataDir, 'instances');
    assert.deepEqual(existsSync(instances) ? readdirSync(instances).filter((d) => d !== '_base') : [], []);
    const qemu = await run('pgrep', ['-f', `qemu-system-x86_64.*${vm().cloud.dataDir}`]);
    assert.equal(qemu.stdout.trim(), '', 'no qemu of this cloud runs');
    const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
    for (const p of ports) assert.ok(!links.includes(`tap${p.slice(0, 11)}`), `tap of port ${p} is gone`);
  });
});
