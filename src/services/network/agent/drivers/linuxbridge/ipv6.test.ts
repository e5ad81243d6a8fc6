// IPv6 end to end on the real host (root, iproute2, nftables, br_netfilter, dnsmasq, busybox): a dual-stack network
// and an IPv6-only one, each with a SLAAC subnet (ipv6_ra_mode and ipv6_address_mode slaac) on one router. Stand-in
// VMs bound through the agent (so filtered by their security groups) autoconfigure from the router's advertisements
// exactly the EUI-64 addresses the API gave their ports, ping each other on one network and across the router, and
// security group IPv6 rules decide what gets in while neighbor discovery keeps working. Skips (or with
// STRATUS_REQUIRE_SERVERS=1 fails) where the host cannot do this.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { silentLogger } from '#lib/log.ts';
import { startNetwork } from '../../../api/test-network.ts';
import type { TestNetwork } from '../../../api/test-network.ts';
import { startNetworkAgent } from '../../network-agent.ts';
import type { NetworkAgent } from '../../network-agent.ts';
import { routerNamespace, tapName } from '../../../domain/device-names.ts';
import type { LinuxBridgeDriver } from './linuxbridge-driver.ts';
import { createHostRunner } from './host-runner.ts';
import { lockHostDataPlane } from './test-host-lock.ts';
import { until } from '#lib/test-wait.ts';
import { dataPlaneSkipReason, quietly, testLinuxBridgeDriver } from './test-data-plane.ts';

/** Data-plane steps can take a while on a loaded machine; commands fail until their object exists. */
const WAIT = { timeoutMs: 20_000, everyMs: 200, retryErrors: true };

const skip = dataPlaneSkipReason('IPv6 on the linuxbridge data plane', { routers: true, tools: { busybox: 'busybox-static' } });
const sh = createHostRunner();

describe('IPv6 on the linuxbridge data plane', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const v4 = `10.${randomInt(100, 250)}.${randomInt(256)}`;
  // Groups written without leading zeros, as `ip` prints them (a "0644" group would never match its "644").
  const v6 = `fd${randomBytes(1).toString('hex')}:${randomInt(0x1000, 0x10000).toString(16)}:${randomInt(0x1000, 0x10000).toString(16)}`;
  const vniBase = 1_000_000 + Math.floor(Math.random() * 15_000_000);
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-v6-'));
  const vms = ['a', 'b', 'c'] as const;
  type Vm = typeof vms[number];
  const ns = (vm: Vm) => `stratus-test-v6${vm}-${tag}`;
  const inVm = (vm: Vm, argv: string[]) => sh.run(['ip', 'netns', 'exec', ns(vm), ...argv]);
  let n: TestNetwork;
  let driver: LinuxBridgeDriver;
  let agent: NetworkAgent | undefined;
  const taps: string[] = [];
  const routers: string[] = [];
  const networks: string[] = [];

  let unlock: (() => void) | undefined;
  before(async () => {
    unlock = await lockHostDataPlane();
    n = await startNetwork({ data_plane_driver: 'linuxbridge', vni_ranges: `${vniBase}:${vniBase + 10}` });
    driver = testLinuxBridgeDriver(stateDir);
    agent = await startNetworkAgent({ bus: n.bus, host: 'v6-test', driver, dhcp: false, l3: true, log: silentLogger() });
    await agent.resynced;
  });
  after(async () => {
    await agent?.stop();
    for (const vm of vms) await quietly(['ip', 'netns', 'del', ns(vm)]);
    for (const tap of taps) await quietly(['ip', 'link', 'del', tap]);
    for (const id of routers) await driver?.deleteRouter(id).catch(() => undefined);
    for (const id of networks) await driver?.deleteNetwork(id).catch(() => undefined);
    await driver?.removeUnclaimed({ portIds: [], networkIds: [] }).catch(() => undefined);
    await n?.close();
    rmSync(stateDir, { recursive: true, force: true });
    unlock?.();
  });

  it('autoconfigures VMs by SLAAC from the router, routes IPv6 between subnets, and filters it by security groups', async () => {
    const alice = n.as.alice;
    const token = alice.token;
    const get = async (path: string) => (await n.call('GET', path, { token })).body;
    const slaac = { ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' };
    const dual = await n.create(alice, 'networks', 'network', { name: 'dual' });
    const only6 = await n.create(alice, 'networks', 'network', { name: 'v6only' });
    networks.push(dual.id, only6.id);
    await n.create(alice, 'subnets', 'subnet', { network_id: dual.id, ip_version: 4, cidr: `${v4}.0/24`, enable_dhcp: false });
    const s1 = await n.create(alice, 'subnets', 'subnet', { network_id: dual.id, cidr: `${v6}:1::/64`, ...slaac });
    const s2 = await n.create(alice, 'subnets', 'subnet', { network_id: only6.id, cidr: `${v6}:2::/64`, ...slaac });
    const router = await n.create(alice, 'routers', 'router', { name: 'v6' });
    routers.push(router.id);
    for (const s of [s1, s2]) {
      const added = await n.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { token, body: { subnet_id: s.id } });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      await until('the IPv6 interface leg ACTIVE', async () => (await get(`/v2.0/ports/${added.body.port_id}`)).port.status === 'ACTIVE', WAIT);
    }
    // A leg is ACTIVE once its router sync, IPv6 addresses included, has run; the wait only absorbs a slow `ip`.
    await until('the router to hold both IPv6 gateways', async () => {
      const routerAddresses = await sh.run(['ip', 'netns', 'exec', routerNamespace(router.id), 'ip', '-6', 'addr', 'show', 'scope', 'global']);
      return routerAddresses.includes(`${v6}:1::1/64`) && routerAddresses.includes(`${v6}:2::1/64`);
    }, WAIT);

    // a and c on the dual-stack network, b on the IPv6-only one: each bound to this host, filtered by the default group.
    const ports = {
      a: await n.create(alice, 'ports', 'port', { network_id: dual.id }),
      b: await n.create(alice, 'ports', 'port', { network_id: only6.id }),
      c: await n.create(alice, 'ports', 'port', { network_id: dual.id }),
    };
    const v6Of = (vm: Vm) => (ports[vm].fixed_ips as { ip_address: string }[]).find((f) => f.ip_address.includes(':'))!.ip_address;
    assert.equal(ports.a.fixed_ips.length, 2, 'a dual-stack port has an address of each version');
    for (const vm of vms) {
      const tap = tapName(ports[vm].id);
      taps.push(tap);
      await sh.run(['ip', 'netns', 'add', ns(vm)]);
      await sh.run(['ip', 'link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(vm)]);
      await inVm(vm, ['sysctl', '-q', '-w', 'net.ipv6.conf.eth0.use_tempaddr=0']);
      await inVm(vm, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
      await inVm(vm, ['ip', 'link', 'set', 'dev', 'eth0', 'address', ports[vm].mac_address]);
      const bound = await n.call('PUT', `/v2.0/ports/${ports[vm].id}`, { token: n.as.admin.token, body: { port: { 'binding:host_id': 'v6-test' } } });
      assert.equal(bound.status, 200);
    }
    for (const vm of vms) {
      await until(`port ${vm} ACTIVE`, async () => (await get(`/v2.0/ports/${ports[vm].id}`)).port.status === 'ACTIVE', WAIT);
      // Up only now, so its router solicitation meets a router that answers.
      await inVm(vm, ['ip', 'link', 'set', 'dev', 'eth0', 'up']);
    }
    // SLAAC: each VM configures exactly the address the API gave its port (so anti-spoofing lets it through).
    for (const vm of vms) {
      await until(`${vm}'s SLAAC address`, async () => (await inVm(vm, ['ip', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'])).includes(`${v6Of(vm)}/64`), WAIT);
    }
    const pings6 = async (from: Vm, to: Vm) => {
      try { await inVm(from, ['busybox', 'ping', '-6', '-c', '1', '-W', '1', v6Of(to)]); return true; } catch { return false; }
    };
    assert.ok(await until('a to ping c on their network', () => pings6('a', 'c'), WAIT), 'same network');
    assert.ok(await until('a to ping b across the router', () => pings6('a', 'b'), WAIT), 'across the router');
    assert.match(await inVm('a', ['ip', '-6', 'route', 'show', 'default']), /via fe80::/, 'the default route is the router\'s link-local address');

    // Security groups: b in a group admitting nothing is out of reach over IPv6, though its neighbors still resolve it;
    // an ICMPv6 rule lets a in again.
    const closed = await n.create(alice, 'security-groups', 'security_group', { name: 'closed' });
    assert.equal((await n.call('PUT', `/v2.0/ports/${ports.b.id}`, { token, body: { port: { security_groups: [closed.id] } } })).status, 200);
    await until('b to be closed', async () => !await pings6('a', 'b'), WAIT);
    await inVm('b', ['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
    await n.create(alice, 'security-group-rules', 'security_group_rule', { security_group_id: closed.id, direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-icmp' });
    assert.ok(await until('the ICMPv6 rule to let a ping b', () => pings6('a', 'b'), WAIT));

    for (const vm of vms) assert.equal((await n.call('DELETE', `/v2.0/ports/${ports[vm].id}`, { token })).status, 204);
    for (const s of [s1, s2]) {
      assert.equal((await n.call('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { token, body: { subnet_id: s.id } })).status, 200);
    }
    assert.equal((await n.call('DELETE', `/v2.0/routers/${router.id}`, { token })).status, 204);
    await until('the router namespace to go', async () => !(await sh.ipJson<{ name: string }>(['netns', 'list'])).some((x) => x.name === routerNamespace(router.id)), WAIT);
  });
});
