// Cold migration of a real VM between two hosts (qemu under TCG, linuxbridge with VXLAN between the hosts): a server
// boots on the first host, the second host (a real `stratus serve` in a network namespace, second-host.ts) joins,
// `openstack server migrate --wait` moves it there — its disks pulled from the first host's one-time offer — and
// `server resize confirm` ends it. The guest boots on host 2 with its fixed IP, answers ping on its floating IP across
// VXLAN (the router stays on host 1), its noVNC console is reached through host 2's console relay, and nothing of it
// is left on host 1.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openConsole } from '#services/compute/console/test-console-socket.ts';
import { secondHostSkipReason, useSecondHost } from './second-host.ts';
import { run, until, useVmCloud, vmSkipReason } from './vm-harness.ts';
import type { Row } from './vm-harness.ts';

const skip = vmSkipReason() ?? await secondHostSkipReason();

describe('cold migration of a real VM to a second host', { skip }, () => {
  // The second host first: the cloud binds to the address its veth gets (second-host.ts).
  const h2 = useSecondHost({ name: 'host2', env: { STRATUS_COMPUTE_DRIVER: 'qemu', STRATUS_COMPUTE_QEMU_ACCEL: 'tcg' } });
  const vm = useVmCloud(h2.firstHostEnv);
  const json = <T = Row>(args: string[]): Promise<T> => vm().json<T>(args);
  const ok = (args: string[]) => vm().ok(args);
  /** The qemu process of `uuid` under one host's instances directory (both hosts share this machine's process table). */
  const qemuUnder = async (dataDir: string, uuid: string) => (await run('pgrep', ['-f', `qemu-system-x86_64.*${join(dataDir, 'instances', uuid)}`])).stdout.trim();

  it('moves a running server to host 2, where it boots with its address and is reached across VXLAN', async () => {
    const started = Date.now();
    await vm().guestImage();
    await ok(['network', 'create', 'mig-net']);
    await ok(['subnet', 'create', '--network', 'mig-net', '--subnet-range', '10.40.0.0/24', 'mig-subnet']);
    await ok(['router', 'create', 'mig-r']);
    await ok(['router', 'set', '--external-gateway', 'public', 'mig-r']);
    await ok(['router', 'add', 'subnet', 'mig-r', 'mig-subnet']);
    await ok(['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default']);
    // Booted while host 2 is not there yet, so it starts on host 1.
    const server = await json(['server', 'create', '--image', 'cirros-like', '--flavor', 'm1.tiny', '--network', 'mig-net', '--wait', 'mig1']);
    const uuid = String(server.id);
    const host1 = String(server['OS-EXT-SRV-ATTR:host']);
    const fixed = /10\.40\.0\.\d+/.exec(JSON.stringify(server.addresses))![0];
    await vm().bootMarker('mig1');
    const fip = String((await json(['floating', 'ip', 'create', 'public'])).floating_ip_address);
    await ok(['server', 'add', 'floating', 'ip', 'mig1', fip]);
    await vm().pings(fip);
    const [port] = (await json<Row[]>(['port', 'list', '--server', 'mig1'])).map((p) => String(p.ID));
    const tap = `tap${port.slice(0, 11)}`;

    await h2.start(vm().cloud);
    await until('host 2\'s compute service up', async () => (await json<Row[]>(['compute', 'service', 'list', '--service', 'nova-compute']))
      .some((s) => s.Host === h2.name && s.State === 'up'), 60_000);
    const moveStarted = Date.now();
    await ok(['server', 'migrate', '--wait', 'mig1']);
    const moved = await json(['server', 'show', 'mig1']);
    assert.equal(moved.status, 'VERIFY_RESIZE');
    assert.equal(moved['OS-EXT-SRV-ATTR:host'], h2.name);
    await ok(['server', 'resize', 'confirm', 'mig1']);
    await vm().settle('mig1', 'ACTIVE');
    const moveSeconds = Math.round((Date.now() - moveStarted) / 1000);

    // The guest booted on host 2 (a fresh console log there) with the address its port keeps.
    const log = await vm().bootMarker('mig1');
    assert.equal(log.match(/STRATUS-GUEST-READY/g)?.length, 1, log);
    assert.match(log, new RegExp(`STRATUS-GUEST-READY hostname=mig1\\S* ip=${fixed.replaceAll('.', '\\.')}`));
    assert.equal((await json(['port', 'show', port])).binding_host_id, h2.name);
    assert.notEqual(await qemuUnder(h2.dataDir, uuid), '', 'the guest runs on host 2');
    assert.match((await h2.exec(['ip', '-o', 'link'])).stdout, new RegExp(tap), 'its tap is on host 2');
    // The router and floating IP stay on host 1: the guest answers across VXLAN.
    await vm().pings(fip);

    // Nothing of it on host 1: no process, no tap, no guest directory, no disks kept aside.
    const dataDir = vm().cloud.dataDir;
    assert.equal(await qemuUnder(dataDir, uuid), '', 'no qemu for it on host 1');
    assert.doesNotMatch((await run('ip', ['-o', 'link'])).stdout, new RegExp(tap), 'no tap for it on host 1');
    assert.ok(!existsSync(join(dataDir, 'instances', uuid)) && !existsSync(join(dataDir, 'instances', `${uuid}_resize`)), 'no guest directory on host 1');
    assert.notEqual(host1, h2.name);

    // Its console is on host 2; the proxy on host 1 reaches it through host 2's relay, with the URL's token only.
    const url = new URL(String((await json(['console', 'url', 'show', '--novnc', 'mig1'])).url));
    const token = new URLSearchParams(url.searchParams.get('path')!.replace(/^\?/, '')).get('token')!;
    const session = openConsole(`ws://${url.host}/?token=${token}`);
    assert.match((await session.first)?.toString('latin1') ?? '', /^RFB 003\.008/);
    session.ws.close();
    await session.closed;

    await ok(['server', 'delete', '--wait', 'mig1']);
    assert.equal(await qemuUnder(h2.dataDir, uuid), '');
    assert.ok(!existsSync(join(h2.dataDir, 'instances', uuid)), 'no guest directory on host 2 after delete');
    console.log(`# vm-migrate: migrate + confirm ${moveSeconds} s, whole story ${Math.round((Date.now() - started) / 1000)} s`);
  });
});
