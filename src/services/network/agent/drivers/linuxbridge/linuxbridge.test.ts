// The linuxbridge data plane on the real host (root, iproute2, dnsmasq, busybox): the API creates a network, a
// subnet and two bound ports, the agent wires bridge, VXLAN and taps and serves DHCP from a namespace; a stand-in VM
// (a namespace on a veth into the bridge, with port A's MAC) gets port A's address by DHCP; a restarted agent keeps
// it all and removes a stale device; deletes leave nothing behind. Skips (or with STRATUS_REQUIRE_SERVERS=1 fails)
// where the host cannot do this.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { silentLogger } from '#lib/log.ts';
import { startNetwork } from '../../../api/test-network.ts';
import type { TestNetwork } from '../../../api/test-network.ts';
import { startNetworkAgent } from '../../network-agent.ts';
import type { NetworkAgent } from '../../network-agent.ts';
import { bridgeName, dhcpNamespace, tapName, vxlanName } from '../../../domain/device-names.ts';
import type { LinuxBridgeDriver } from './linuxbridge-driver.ts';
import { createHostRunner } from './host-runner.ts';
import { lockHostDataPlane } from './test-host-lock.ts';
import { until } from '#lib/test-wait.ts';
import { dataPlaneSkipReason, quietly, testLinuxBridgeDriver } from './test-data-plane.ts';

const skip = dataPlaneSkipReason('the linuxbridge data plane', { tools: { busybox: 'busybox-static' } });
const sh = createHostRunner();

interface Link { ifname: string; master?: string; ifalias?: string; flags?: string[] }
const links = async () => new Map((await sh.ipJson<Link>(['link', 'show'])).map((l) => [l.ifname, l]));
const namespaces = async () => (await sh.ipJson<{ name: string }>(['netns', 'list'])).map((n) => n.name);

describe('linuxbridge data plane', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const vmNs = `stratus-test-vm-${tag}`;
  const vmVeth = `stv${tag}`;
  const staleTap = `tap${tag}stale`;
  // One end of a veth pair stands in for the physical interface of flat and VLAN networks.
  const physnet = `physnet-${tag}`;
  const physical = `stf${tag}`;
  // A VNI range of its own, so parallel runs on one host never share a VXLAN device.
  const vniBase = 1_000_000 + Math.floor(Math.random() * 15_000_000);
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-lb-'));
  let n: TestNetwork;
  let driver: LinuxBridgeDriver;
  let agent: NetworkAgent | undefined;
  const networks: string[] = [];
  const newDriver = () => testLinuxBridgeDriver(stateDir, { vxlanPeers: ['192.0.2.10'], physicalInterfaces: { [physnet]: physical } });
  const startAgent = async () => {
    agent = await startNetworkAgent({ bus: n.bus, host: 'lb-test', driver, dhcp: true, log: silentLogger() });
    await agent.resynced;
  };

  let unlock: (() => void) | undefined;
  before(async () => {
    unlock = await lockHostDataPlane();
    await sh.run(['ip', 'link', 'add', physical, 'type', 'veth', 'peer', 'name', `stg${tag}`]);
    n = await startNetwork({ data_plane_driver: 'linuxbridge', vni_ranges: `${vniBase}:${vniBase + 10}` });
    driver = newDriver();
    await startAgent();
  });
  after(async () => {
    await agent?.stop();
    await quietly(['ip', 'netns', 'del', vmNs]);
    await quietly(['ip', 'link', 'del', vmVeth]);
    await quietly(['ip', 'link', 'del', staleTap]);
    await quietly(['ip', 'link', 'del', physical]);
    // Whatever a failed run left: the driver's own delete is idempotent.
    for (const id of networks) await driver?.deleteNetwork(id).catch(() => undefined);
    await n?.close();
    rmSync(stateDir, { recursive: true, force: true });
    unlock?.();
  });

  it('wires a network and its ports, serves DHCP, survives an agent restart and leaves nothing on delete', async () => {
    const token = n.as.admin.token;
    const net = await n.create(n.as.admin, 'networks', 'network', { name: 'lb' });
    networks.push(net.id);
    const vni = net['provider:segmentation_id'] as number;
    const subnet = await n.create(n.as.admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.77.0.0/24', dns_nameservers: ['10.77.0.53'] });
    const portA = await n.create(n.as.admin, 'ports', 'port', { network_id: net.id, 'binding:host_id': 'lb-test' });
    const portB = await n.create(n.as.admin, 'ports', 'port', { network_id: net.id, 'binding:host_id': 'lb-test' });
    assert.deepEqual([portA.status, portA['binding:vif_type'], portA['binding:vif_details'].tap_name], ['DOWN', 'bridge', tapName(portA.id)]);

    // Wired: both ports turn ACTIVE once their taps are on the bridge with the VXLAN device.
    for (const p of [portA, portB]) {
      await until(`port ${p.id} ACTIVE`, async () => (await n.call('GET', `/v2.0/ports/${p.id}`, { token })).body.port.status === 'ACTIVE');
    }
    const bridge = bridgeName(net.id);
    let have = await links();
    assert.ok(have.has(bridge), 'the bridge exists');
    assert.equal(have.get(vxlanName(vni))?.master, bridge, 'the VXLAN device is on the bridge');
    for (const p of [portA, portB]) assert.equal(have.get(tapName(p.id))?.master, bridge, `the tap of ${p.id} is on the bridge`);
    const fdb = JSON.parse(await sh.run(['bridge', '-json', 'fdb', 'show', 'dev', vxlanName(vni)])) as { mac: string; dst?: string }[];
    assert.ok(fdb.some((e) => e.mac === '00:00:00:00:00:00' && e.dst === '192.0.2.10'), 'floods to the known peer');

    // DHCP: the namespace and a dnsmasq serving the network.
    await until('the DHCP namespace', async () => (await namespaces()).includes(dhcpNamespace(net.id)));
    let dnsmasqPid = await until('dnsmasq to run', async () => readPid(stateDir, net.id));
    await agent!.settled();

    // A stand-in VM with port A's MAC on a veth into the bridge asks for an address.
    await sh.run(['ip', 'netns', 'add', vmNs]);
    await sh.run(['ip', 'link', 'add', vmVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vmNs]);
    await sh.run(['ip', 'link', 'set', 'dev', vmVeth, 'master', bridge, 'up']);
    await sh.run(['ip', 'netns', 'exec', vmNs, 'ip', 'link', 'set', 'dev', 'eth0', 'address', portA.mac_address, 'up']);
    const lease = await dhcpLease(vmNs, stateDir);
    assert.deepEqual(lease, { ip: portA.fixed_ips[0].ip_address, subnet: '255.255.255.0', router: '10.77.0.1', dns: '10.77.0.53', mtu: String(net.mtu) });

    // A new (unbound) port: dnsmasq rereads its hosts on SIGHUP, and the stand-in VM with its MAC gets its address.
    const portC = await n.create(n.as.admin, 'ports', 'port', { network_id: net.id });
    await until('the hosts file to list port C', async () => readFileSync(join(stateDir, 'dhcp', net.id, 'host'), 'utf8').includes(portC.mac_address));
    await sh.run(['ip', 'netns', 'exec', vmNs, 'ip', 'link', 'set', 'dev', 'eth0', 'address', portC.mac_address]);
    assert.equal((await dhcpLease(vmNs, stateDir)).ip, portC.fixed_ips[0].ip_address);
    assert.equal(readPid(stateDir, net.id), dnsmasqPid, 'reloaded, not restarted');
    assert.equal((await n.call('DELETE', `/v2.0/ports/${portC.id}`, { token })).status, 204);
    assert.equal(subnet.gateway_ip, '10.77.0.1');
    // Port C's address goes to a new port with another MAC (a server deleted, the next one booted): dnsmasq no longer
    // holds port C's lease against it.
    const portD = await n.create(n.as.admin, 'ports', 'port', { network_id: net.id, fixed_ips: [{ ip_address: portC.fixed_ips[0].ip_address }] });
    await until('the hosts file to list port D', async () => readFileSync(join(stateDir, 'dhcp', net.id, 'host'), 'utf8').includes(portD.mac_address));
    await sh.run(['ip', 'netns', 'exec', vmNs, 'ip', 'link', 'set', 'dev', 'eth0', 'address', portD.mac_address]);
    assert.equal((await dhcpLease(vmNs, stateDir)).ip, portC.fixed_ips[0].ip_address);
    const servingD = readPid(stateDir, net.id);
    assert.equal((await n.call('DELETE', `/v2.0/ports/${portD.id}`, { token })).status, 204);
    dnsmasqPid = await until('dnsmasq to restart without port D', async () => { const pid = readPid(stateDir, net.id); return pid !== servingD ? pid : undefined; });

    // A restart: a new agent and driver resync — everything stays (dnsmasq too), a stale Stratus tap goes.
    await agent!.stop();
    await sh.run(['ip', 'tuntap', 'add', 'dev', staleTap, 'mode', 'tap']);
    await sh.run(['ip', 'link', 'set', 'dev', staleTap, 'alias', `stratus:port:${randomUUID()}`]);
    // Drift the resync repairs as one batch: port A's tap gone, port B's off its bridge and down.
    await sh.run(['ip', 'link', 'del', 'dev', tapName(portA.id)]);
    await sh.run(['ip', 'link', 'set', 'dev', tapName(portB.id), 'nomaster', 'down']);
    driver = newDriver();
    await startAgent();
    have = await links();
    assert.ok(!have.has(staleTap), 'resync removed the unclaimed tap');
    for (const p of [portA, portB]) {
      assert.equal(have.get(tapName(p.id))?.master, bridge);
      assert.ok(have.get(tapName(p.id))?.flags?.includes('UP'), `the tap of ${p.id} is up again`);
      assert.equal(have.get(tapName(p.id))?.ifalias, `stratus:port:${p.id}`);
    }
    assert.ok(driver.runner.history.some((argv) => argv.join(' ') === 'ip -batch -'), 'both taps were repaired in one ip -batch');
    assert.equal(readPid(stateDir, net.id), dnsmasqPid, 'dnsmasq kept running');

    // Deletes: the ports' taps go, then the network takes bridge, VXLAN, namespace and dnsmasq with it.
    await sh.run(['ip', 'netns', 'del', vmNs]);
    for (const p of [portA, portB]) assert.equal((await n.call('DELETE', `/v2.0/ports/${p.id}`, { token })).status, 204);
    await until('the taps to go', async () => { const l = await links(); return !l.has(tapName(portA.id)) && !l.has(tapName(portB.id)); });
    assert.equal((await n.call('DELETE', `/v2.0/networks/${net.id}`, { token })).status, 204);
    await until('the bridge and VXLAN device to go', async () => { const l = await links(); return !l.has(bridge) && !l.has(vxlanName(vni)); });
    await until('the DHCP namespace to go', async () => !(await namespaces()).includes(dhcpNamespace(net.id)));
    await until('dnsmasq to stop', async () => !isDnsmasq(dnsmasqPid));
    assert.ok(!existsSync(join(stateDir, 'dhcp', net.id)), 'the DHCP files are gone');
  });

  it('puts a flat network on the mapped interface itself and lets go of it', async () => {
    const token = n.as.admin.token;
    const flat = await n.create(n.as.admin, 'networks', 'network', { name: 'flat', 'provider:network_type': 'flat', 'provider:physical_network': physnet });
    networks.push(flat.id);
    const port = await n.create(n.as.admin, 'ports', 'port', { network_id: flat.id, 'binding:host_id': 'lb-test' });
    await until('the port ACTIVE', async () => (await n.call('GET', `/v2.0/ports/${port.id}`, { token })).body.port.status === 'ACTIVE');
    assert.equal((await links()).get(physical)?.master, bridgeName(flat.id));
    assert.equal((await n.call('DELETE', `/v2.0/ports/${port.id}`, { token })).status, 204);
    assert.equal((await n.call('DELETE', `/v2.0/networks/${flat.id}`, { token })).status, 204);
    const have = await until('the bridge to go', async () => { const l = await links(); return !l.has(bridgeName(flat.id)) && l; });
    assert.ok(have.has(physical) && !have.get(physical)?.master, 'the physical interface stays, let go of');
  });

  it('puts a VLAN network on a tagged sub-interface of the mapped interface', async (t) => {
    // VLAN devices need the kernel's 8021q support, which some containers lack.
    try {
      await sh.run(['ip', 'link', 'add', 'link', physical, 'name', `${physical}.9`, 'type', 'vlan', 'id', '9']);
      await sh.run(['ip', 'link', 'del', `${physical}.9`]);
    } catch (err) {
      t.skip(`this kernel cannot create VLAN devices (${(err as Error).message})`);
      return;
    }
    const token = n.as.admin.token;
    const vlan = await n.create(n.as.admin, 'networks', 'network', { name: 'vlan', 'provider:network_type': 'vlan', 'provider:physical_network': physnet, 'provider:segmentation_id': 100 });
    networks.push(vlan.id);
    const port = await n.create(n.as.admin, 'ports', 'port', { network_id: vlan.id, 'binding:host_id': 'lb-test' });
    await until('the port ACTIVE', async () => (await n.call('GET', `/v2.0/ports/${port.id}`, { token })).body.port.status === 'ACTIVE');
    assert.equal((await links()).get(`${physical}.100`)?.master, bridgeName(vlan.id));
    assert.equal((await n.call('DELETE', `/v2.0/ports/${port.id}`, { token })).status, 204);
    assert.equal((await n.call('DELETE', `/v2.0/networks/${vlan.id}`, { token })).status, 204);
    await until('the bridge and sub-interface to go', async () => { const l = await links(); return !l.has(bridgeName(vlan.id)) && !l.has(`${physical}.100`); });
  });
});

/** Runs busybox udhcpc once in the namespace and returns what the lease said. */
async function dhcpLease(ns: string, dir: string): Promise<Record<string, string>> {
  const script = join(dir, 'udhcpc-report');
  if (!existsSync(script)) {
    writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && echo "LEASE ip=$ip subnet=$subnet router=$router dns=$dns mtu=$mtu"\nexit 0\n', { mode: 0o755 });
  }
  const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', ns, 'busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-t', '8', '-T', '1', '-O', 'mtu', '-s', script]);
  const line = stdout.split('\n').find((l) => l.startsWith('LEASE '));
  assert.ok(line, `udhcpc got no lease: ${stdout}`);
  return Object.fromEntries(line.slice(6).split(' ').map((kv) => kv.split('=') as [string, string]));
}

function readPid(stateDir: string, networkId: string): number | undefined {
  const path = join(stateDir, 'dhcp', networkId, 'pid');
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return pid > 0 && isDnsmasq(pid) ? pid : undefined;
}

function isDnsmasq(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('dnsmasq');
  } catch {
    return false;
  }
}