// Two Stratus hosts on one machine carry a tenant network over VXLAN: the cloud (host1) and a scale-out host in a
// network namespace (host2, test/compat/second-host.ts) each wire a port bound to them for a stand-in VM (a namespace
// on a veth named as the port's tap); both VMs get their address from host1's DHCP namespace — host2's across the
// tunnel — and ping each other; the ports turn ACTIVE; deleting host2's port removes its wiring there. Driven with the
// openstack CLI, as an operator would; holds the host's data-plane lock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireServers } from '#lib/test-servers.ts';
import { lockHostDataPlane } from '#services/network/agent/drivers/linuxbridge/test-host-lock.ts';
import { onPath } from '#services/network/agent/drivers/linuxbridge/host-prerequisites.ts';
import { bridgeName, tapName, vxlanName } from '#services/network/domain/device-names.ts';
import { cliSkipReason, startCloud } from './harness.ts';
import type { RunningCloud } from './harness.ts';
import { secondHostSkipReason, useSecondHost } from './second-host.ts';
import { cleanHost, run, until } from './vm-harness.ts';

type Row = Record<string, unknown>;

async function skipReason(): Promise<string | undefined> {
  const why = cliSkipReason() ?? await secondHostSkipReason();
  if (why) return why;
  if (onPath('busybox')) return undefined;
  if (requireServers) throw new Error('the two-host suite is required (STRATUS_REQUIRE_SERVERS=1) but busybox is missing');
  return 'the stand-in VMs need busybox (udhcpc, ping)';
}

describe('two hosts on the linuxbridge data plane', { skip: await skipReason() }, () => {
  const tag = randomBytes(3).toString('hex');
  const vmNs = { vm1: `stx-h2vm1-${tag}`, vm2: `stx-h2vm2-${tag}` };
  let release: (() => void) | undefined;
  let cloud: RunningCloud | undefined;

  before(async () => { release = await lockHostDataPlane(); });
  const host2 = useSecondHost({ name: 'host2' });
  before(async () => {
    cloud = await startCloud({ logLevel: 'info', env: { ...host2.firstHostEnv, STRATUS_COMPUTE_HOST: 'host1', STRATUS_NETWORK_HOST: 'host1' } });
    await host2.start(cloud);
  });
  // Runs after the fixture's own `after` (host 2 and its namespace gone): the cloud, then what host 1 wired.
  after(async () => {
    for (const ns of Object.values(vmNs)) await run('ip', ['netns', 'delete', ns]);
    try {
      await cloud?.stop();
    } finally {
      if (cloud) cleanHost(cloud.dataDir);
      if (cloud) rmSync(cloud.dataDir, { recursive: true, force: true });
      release?.();
    }
  });

  it('carries DHCP and ping between a VM on each host over VXLAN, and unwires a deleted port on host2', async () => {
    const c = cloud!;
    const json = <T = Row>(args: string[]) => c.openstackJson<T>(args);
    // Independent CLI calls run side by side (each is a Python start-up). host2's compute agent joined over the bus
    // too: Compute lists it beside host1, both up.
    const [computes, net] = await Promise.all([
      json<Row[]>(['compute', 'service', 'list', '--service', 'nova-compute']),
      json(['network', 'create', `two-host-${tag}`]),
    ]);
    assert.deepEqual(computes.map((s) => `${s.Host as string}:${s.State as string}`).sort(), ['host1:up', 'host2:up']);
    assert.equal(net['provider:network_type'], 'vxlan');
    const vni = net['provider:segmentation_id'] as number;
    await json(['subnet', 'create', '--network', net.id as string, '--subnet-range', '10.93.0.0/24', `two-host-v4-${tag}`]);
    const [vm1, vm2] = await Promise.all(['vm1', 'vm2'].map((name) => json(['port', 'create', '--network', net.id as string, `${name}-${tag}`])));
    const ports = { vm1, vm2 };
    const ipOf = (vm: 'vm1' | 'vm2') => (ports[vm].fixed_ips as { ip_address: string }[])[0].ip_address;

    // Each stand-in VM is plugged where its host's agent expects it (a veth named as the port's tap, in host1's root
    // namespace or host2's), then bound to that host, as Compute would bind it.
    for (const [vm, where] of [['vm1', 'host1'], ['vm2', 'host2']] as const) {
      const ns = vmNs[vm];
      execFileSync('ip', ['netns', 'add', ns]);
      const onHost = where === 'host2' ? ['-n', host2.namespace] : [];
      execFileSync('ip', [...onHost, 'link', 'add', tapName(ports[vm].id as string), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'dev', 'eth0', 'address', ports[vm].mac_address as string, 'up']);
    }
    await Promise.all([c.ok(['port', 'set', '--host', 'host1', vm1.id as string]), c.ok(['port', 'set', '--host', 'host2', vm2.id as string])]);
    const statuses = async () => new Map((await json<Row[]>(['port', 'list', '--network', net.id as string, '-c', 'ID', '-c', 'Status'])).map((p) => [p.ID, p.Status]));
    await until('both ports ACTIVE', async () => { const s = await statuses(); return s.get(vm1.id) === 'ACTIVE' && s.get(vm2.id) === 'ACTIVE'; }, 30_000, 200);
    const onHost2Ports = await json<Row[]>(['port', 'list', '--host', 'host2', '-c', 'ID']);
    assert.deepEqual(onHost2Ports.map((p) => p.ID), [vm2.id], 'listed by binding host, host2 holds vm2\'s port only');

    // host2 wired its side in its own namespace: the network's bridge with the VXLAN device and the VM's tap on it,
    // flooding to host1's tunnel address; host1 floods to host2's.
    const linksOn = async (ns?: string) => {
      const out = ns ? (await host2.exec(['ip', '-j', 'link', 'show'])).stdout : execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
      return new Map((JSON.parse(out) as { ifname: string; master?: string }[]).map((l) => [l.ifname, l]));
    };
    const onHost2 = await linksOn(host2.namespace);
    assert.equal(onHost2.get(vxlanName(vni))?.master, bridgeName(net.id as string), 'host2 has the VXLAN device on the bridge');
    assert.equal(onHost2.get(tapName(ports.vm2.id as string))?.master, bridgeName(net.id as string), 'host2 has the VM\'s tap on the bridge');
    assert.ok(!(await linksOn()).has(tapName(ports.vm2.id as string)), 'host1 does not wire host2\'s port');
    const fdb = (dev: string, ns?: string) => JSON.parse(execFileSync('bridge', [...(ns ? ['-n', ns] : []), '-json', 'fdb', 'show', 'dev', dev], { encoding: 'utf8' })) as { mac: string; dst?: string }[];
    assert.ok(fdb(vxlanName(vni), host2.namespace).some((e) => e.mac === '00:00:00:00:00:00' && e.dst === host2.firstHostIp), 'host2 floods to host1');
    assert.ok(fdb(vxlanName(vni)).some((e) => e.mac === '00:00:00:00:00:00' && e.dst === host2.secondHostIp), 'host1 floods to host2');

    // DHCP: each VM gets its port's address from host1's dnsmasq (host2's request crosses the tunnel).
    const script = join(c.dataDir, `udhcpc-${tag}`);
    writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && ip addr add "$ip/$mask" dev "$interface" && echo "LEASE $ip"\nexit 0\n', { mode: 0o755 });
    const leases = await Promise.all((['vm1', 'vm2'] as const).map((vm) => until(`${vm}'s DHCP lease`, async () => {
      const r = await run('ip', ['netns', 'exec', vmNs[vm], 'busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-t', '5', '-T', '1', '-s', script]);
      return /^LEASE (\S+)/m.exec(r.stdout)?.[1];
    }, 30_000, 500)));
    assert.deepEqual(leases, [ipOf('vm1'), ipOf('vm2')], 'each VM leased its port\'s fixed IP');

    // The default security group admits its own members: each VM pings the other across the hosts.
    const pings = (from: 'vm1' | 'vm2', to: string) => async () => (await run('ip', ['netns', 'exec', vmNs[from], 'busybox', 'ping', '-c', '1', '-W', '2', to])).code === 0;
    await until('vm1 to ping vm2 on host2', pings('vm1', ipOf('vm2')), 20_000, 200);
    await until('vm2 to ping vm1 on host1', pings('vm2', ipOf('vm1')), 20_000, 200);

    // Deleting host2's port unwires it there (its tap goes, and the VM's end with it); host1's port stays.
    await c.ok(['port', 'delete', ports.vm2.id as string]);
    await until('host2 to remove the deleted port\'s tap', async () => !(await linksOn(host2.namespace)).has(tapName(ports.vm2.id as string)), 20_000, 200);
    const left = await statuses();
    assert.ok(!left.has(vm2.id) && left.get(vm1.id) === 'ACTIVE', 'host2\'s port is gone, host1\'s stays ACTIVE');
    assert.ok((await linksOn()).has(tapName(ports.vm1.id as string)), 'host1 keeps its port wired');
  });
});
