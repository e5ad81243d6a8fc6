// Extra routes on the real host (root, iproute2, nftables, busybox): a router joins a tenant network and a transit
// network; on the transit network a stand-in "VM router" (a namespace) holds a network behind it. The tenant VM
// reaches that network only while the router has an extra route to it via the VM router, set through the API and
// removed through extraroute-atomic. Skips (or with STRATUS_REQUIRE_SERVERS=1 fails) where the host cannot do this.
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
import { bridgeName, routerNamespace } from '../../../domain/device-names.ts';
import type { LinuxBridgeDriver } from './linuxbridge-driver.ts';
import { createHostRunner } from './host-runner.ts';
import { lockHostDataPlane } from './test-host-lock.ts';
import { until } from '#lib/test-wait.ts';
import { dataPlaneSkipReason, quietly, testLinuxBridgeDriver } from './test-data-plane.ts';

/** Data-plane steps can take a while on a loaded machine; commands fail until their object exists. */
const WAIT = { timeoutMs: 15_000, everyMs: 100, retryErrors: true };

const skip = dataPlaneSkipReason('extra routes on the linuxbridge data plane', { routers: true, tools: { busybox: 'busybox-static' } });
const sh = createHostRunner();
const inNs = (ns: string, argv: string[]) => sh.run(['ip', 'netns', 'exec', ns, ...argv]);

describe('extra routes on the linuxbridge data plane', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const vms = { vm: { ns: `stratus-test-xrvm-${tag}`, veth: `sxv${tag}` }, gw: { ns: `stratus-test-xrgw-${tag}`, veth: `sxg${tag}` } };
  const tenant = `10.${randomInt(100, 250)}.${randomInt(256)}`;
  const transit = `10.${randomInt(100, 250)}.${randomInt(256)}`;
  const behind = `192.168.${randomInt(256)}`;
  const vniBase = 1_000_000 + Math.floor(Math.random() * 15_000_000);
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-xr-'));
  let n: TestNetwork;
  let driver: LinuxBridgeDriver;
  let agent: NetworkAgent | undefined;
  const routers: string[] = [];
  const networks: string[] = [];

  let unlock: (() => void) | undefined;
  before(async () => {
    unlock = await lockHostDataPlane();
    n = await startNetwork({ data_plane_driver: 'linuxbridge', vni_ranges: `${vniBase}:${vniBase + 10}` });
    driver = testLinuxBridgeDriver(stateDir);
    agent = await startNetworkAgent({ bus: n.bus, host: 'xr-test', driver, dhcp: false, l3: true, log: silentLogger() });
    await agent.resynced;
  });
  after(async () => {
    await agent?.stop();
    for (const { ns, veth } of Object.values(vms)) {
      await quietly(['ip', 'netns', 'del', ns]);
      await quietly(['ip', 'link', 'del', veth]);
    }
    for (const id of routers) await driver?.deleteRouter(id).catch(() => undefined);
    for (const id of networks) await driver?.deleteNetwork(id).catch(() => undefined);
    await n?.close();
    rmSync(stateDir, { recursive: true, force: true });
    unlock?.();
  });

  it('reaches a network behind a VM router only while the router has an extra route to it', async () => {
    const alice = n.as.alice;
    const token = alice.token;
    const get = async (path: string) => (await n.call('GET', path, { token })).body;
    const net = await n.create(alice, 'networks', 'network', { name: 'tenant' });
    const transitNet = await n.create(alice, 'networks', 'network', { name: 'transit' });
    networks.push(net.id, transitNet.id);
    const subnet = await n.create(alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: `${tenant}.0/24`, enable_dhcp: false });
    const transitSubnet = await n.create(alice, 'subnets', 'subnet', { network_id: transitNet.id, ip_version: 4, cidr: `${transit}.0/24`, enable_dhcp: false });
    const router = await n.create(alice, 'routers', 'router', { name: 'xr' });
    routers.push(router.id);
    for (const s of [subnet, transitSubnet]) {
      const added = await n.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { token, body: { subnet_id: s.id } });
      assert.equal(added.status, 200);
      await until('the interface leg ACTIVE', async () => (await get(`/v2.0/ports/${added.body.port_id}`)).port.status === 'ACTIVE', WAIT);
    }

    // Stand-in VMs on the bridges (unbound ports, so unfiltered): a tenant VM, and a VM router on the transit network
    // holding the network behind it, routing back through the Neutron router.
    const place = async (vm: keyof typeof vms, networkId: string, gatewayIp: string) => {
      const port = await n.create(alice, 'ports', 'port', { network_id: networkId, port_security_enabled: false });
      const { ns, veth } = vms[vm];
      await sh.run(['ip', 'netns', 'add', ns]);
      await sh.run(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await sh.run(['ip', 'link', 'set', 'dev', veth, 'master', bridgeName(networkId), 'up']);
      await inNs(ns, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
      await inNs(ns, ['ip', 'link', 'set', 'dev', 'eth0', 'address', port.mac_address, 'up']);
      await inNs(ns, ['ip', 'addr', 'add', `${port.fixed_ips[0].ip_address}/24`, 'dev', 'eth0']);
      await inNs(ns, ['ip', 'route', 'add', 'default', 'via', gatewayIp]);
      return port.fixed_ips[0].ip_address as string;
    };
    await place('vm', net.id, subnet.gateway_ip);
    const vmRouterIp = await place('gw', transitNet.id, transitSubnet.gateway_ip);
    // The network behind it, as an address on its loopback (dummy devices are not in every kernel).
    await inNs(vms.gw.ns, ['ip', 'addr', 'add', `${behind}.1/24`, 'dev', 'lo']);
    const reaches = async (ip: string) => {
      try { await inNs(vms.vm.ns, ['busybox', 'ping', '-c', '1', '-W', '1', ip]); return true; } catch { return false; }
    };
    assert.ok(await until('the tenant VM to reach the VM router through the router', () => reaches(vmRouterIp), WAIT));
    assert.equal(await reaches(`${behind}.1`), false, 'no route to the network behind yet');

    // The extra route, set with the router's routes: the router's namespace gets it and the network is reached.
    const set = await n.call('PUT', `/v2.0/routers/${router.id}`, { token, body: { router: { routes: [{ destination: `${behind}.0/24`, nexthop: vmRouterIp }] } } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    await until('the route in the router namespace', async () => (await inNs(routerNamespace(router.id), ['ip', 'route', 'show', `${behind}.0/24`])).includes(`via ${vmRouterIp}`), WAIT);
    assert.ok(await until('the tenant VM to reach the network behind the VM router', () => reaches(`${behind}.1`), WAIT));

    // Removed atomically: the route goes from the namespace and the network is out of reach again.
    const removed = await n.call('PUT', `/v2.0/routers/${router.id}/remove_extraroutes`, { token, body: { router: { routes: [{ destination: `${behind}.0/24`, nexthop: vmRouterIp }] } } });
    assert.deepEqual(removed.body.router.routes, []);
    await until('the route to leave the namespace', async () => (await inNs(routerNamespace(router.id), ['ip', 'route', 'show', `${behind}.0/24`])).trim() === '', WAIT);
    assert.equal(await reaches(`${behind}.1`), false, 'no route any more');

    for (const s of [subnet, transitSubnet]) {
      assert.equal((await n.call('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { token, body: { subnet_id: s.id } })).status, 200);
    }
    assert.equal((await n.call('DELETE', `/v2.0/routers/${router.id}`, { token })).status, 204);
    await until('the router namespace to go', async () => !(await sh.ipJson<{ name: string }>(['netns', 'list'])).some((x) => x.name === routerNamespace(router.id)), WAIT);
  });
});
