// Routers, floating IPs, the external network's host leg and the metadata path on the real host (root, iproute2,
// dnsmasq, nftables, haproxy, busybox): the API builds an external network, a tenant network and a router between
// them; a stand-in VM (a namespace on a veth into the tenant bridge) pings its router, reaches the host through SNAT,
// is reached by the host through a floating IP, and reads metadata from 169.254.169.254, which arrives at a stand-in
// for Compute's metadata API with the instance's signed identity. Deleting it all leaves nothing behind. Skips (or
// with STRATUS_REQUIRE_SERVERS=1 fails) where the host cannot do this.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { silentLogger } from '#lib/log.ts';
import { startNetwork } from '../../../api/test-network.ts';
import type { TestNetwork } from '../../../api/test-network.ts';
import { startNetworkAgent } from '../../network-agent.ts';
import type { NetworkAgent } from '../../network-agent.ts';
import { startMetadataAgent } from '../../metadata-agent.ts';
import type { MetadataAgent } from '../../metadata-agent.ts';
import { bridgeName, routerNamespace } from '../../../domain/device-names.ts';
import type { LinuxBridgeDriver } from './linuxbridge-driver.ts';
import { createHostRunner } from './host-runner.ts';
import { lockHostDataPlane } from './test-host-lock.ts';
import { until } from '#lib/test-wait.ts';
import { dataPlaneSkipReason, quietly, testLinuxBridgeDriver } from './test-data-plane.ts';

/** Data-plane steps can take a while on a loaded machine; commands fail until their object exists. */
const WAIT = { timeoutMs: 15_000, retryErrors: true };

const skip = dataPlaneSkipReason('routers on the linuxbridge data plane', { routers: true, tools: { haproxy: 'haproxy', busybox: 'busybox-static' } });
const sh = createHostRunner();
const inVm = (ns: string, argv: string[]) => sh.run(['ip', 'netns', 'exec', ns, ...argv]);

const namespaces = async () => (await sh.ipJson<{ name: string }>(['netns', 'list'])).map((n) => n.name);
const listen = (server: Server, host: string) => new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

describe('routers, floating IPs and metadata on the linuxbridge data plane', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const vmNs = `stratus-test-l3vm-${tag}`;
  const vmVeth = `slv${tag}`;
  const physnet = `ext-${tag}`;
  const hostLeg = { hostInterface: `sx${tag}`, physicalInterface: `sxp${tag}` };
  // Address ranges of their own (shared address space and a private /24), so runs on one host never collide.
  const ext = `100.${64 + randomInt(64)}.${randomInt(256)}`;
  const tenant = `10.${randomInt(100, 250)}.${randomInt(256)}`;
  const vniBase = 1_000_000 + Math.floor(Math.random() * 15_000_000);
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-l3-'));
  const socketPath = join(stateDir, 'metadata_proxy');
  const secret = randomBytes(16).toString('hex');
  const novaSeen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const nova = createServer((req, res) => {
    novaSeen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ uuid: req.headers['x-instance-id'] }));
  });
  // What the host sees of the VM's connections: the source address after the router's NAT.
  const hostSeen: string[] = [];
  const hostServer = createServer((req, res) => { hostSeen.push(req.socket.remoteAddress ?? ''); res.end('host\n'); });
  let n: TestNetwork;
  let driver: LinuxBridgeDriver;
  let agent: NetworkAgent | undefined;
  let metadata: MetadataAgent | undefined;
  const routers: string[] = [];
  const networks: string[] = [];
  const newDriver = () => testLinuxBridgeDriver(stateDir, {
    externalHostLeg: { ...hostLeg, cidr: `${ext}.1/24`, physicalNetwork: physnet }, metadataSocket: socketPath, isolatedMetadata: true,
  });
  const startAgent = async () => {
    agent = await startNetworkAgent({ bus: n.bus, host: 'l3-test', driver, dhcp: true, l3: true, log: silentLogger() });
    await agent.resynced;
  };

  let unlock: (() => void) | undefined;
  before(async () => {
    unlock = await lockHostDataPlane();
    n = await startNetwork({ data_plane_driver: 'linuxbridge', vni_ranges: `${vniBase}:${vniBase + 10}` });
    const novaPort = await listen(nova, '127.0.0.1');
    metadata = await startMetadataAgent({ bus: n.bus, host: 'l3-test', socketPath, novaMetadataUrl: `http://127.0.0.1:${novaPort}`, sharedSecret: secret, log: silentLogger() });
    driver = newDriver();
    await startAgent();
  });
  after(async () => {
    await agent?.stop();
    await metadata?.close();
    await quietly(['ip', 'netns', 'del', vmNs]);
    await quietly(['ip', 'link', 'del', vmVeth]);
    // Whatever a failed run left: the driver's own deletes are idempotent.
    for (const id of routers) await driver?.deleteRouter(id).catch(() => undefined);
    for (const id of networks) await driver?.deleteNetwork(id).catch(() => undefined);
    await quietly(['ip', 'link', 'del', hostLeg.hostInterface]);
    await n?.close();
    nova.close();
    hostServer.close();
    rmSync(stateDir, { recursive: true, force: true });
    unlock?.();
  });

  it('routes a VM to the host through SNAT, reaches it through a floating IP, proxies its metadata, and cleans up', async () => {
    const admin = n.as.admin;
    const token = admin.token;
    const get = async (path: string) => (await n.call('GET', path, { token })).body;

    // The external network on the host's leg, a tenant network, and a router between them.
    const extNet = await n.create(admin, 'networks', 'network', { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': physnet });
    networks.push(extNet.id);
    await n.create(admin, 'subnets', 'subnet', { network_id: extNet.id, ip_version: 4, cidr: `${ext}.0/24`, gateway_ip: `${ext}.1`, enable_dhcp: false });
    const net = await n.create(admin, 'networks', 'network', { name: 'private' });
    networks.push(net.id);
    const subnet = await n.create(admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: `${tenant}.0/24` });
    const router = await n.create(admin, 'routers', 'router', { name: 'r', external_gateway_info: { network_id: extNet.id } });
    routers.push(router.id);
    const gatewayIp = router.external_gateway_info.external_fixed_ips[0].ip_address as string;
    const added = await n.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { token, body: { subnet_id: subnet.id } });
    assert.equal(added.status, 200);

    // Wired: the legs turn ACTIVE once the router's namespace has them.
    for (const portId of [added.body.port_id as string]) {
      await until('the interface leg ACTIVE', async () => (await get(`/v2.0/ports/${portId}`)).port.status === 'ACTIVE', WAIT);
    }
    const gwPort = (await get(`/v2.0/ports?device_id=${router.id}&device_owner=network:router_gateway`)).ports[0];
    await until('the gateway leg ACTIVE', async () => (await get(`/v2.0/ports/${gwPort.id}`)).port.status === 'ACTIVE', WAIT);
    assert.ok((await namespaces()).includes(routerNamespace(router.id)), 'the router namespace exists');

    // A stand-in VM with an instance's port, addressed statically, routed by the router.
    const instanceId = randomUUID();
    const vmPort = await n.create(admin, 'ports', 'port', { network_id: net.id, device_id: instanceId, device_owner: 'compute:nova' });
    const vmIp = vmPort.fixed_ips[0].ip_address as string;
    await sh.run(['ip', 'netns', 'add', vmNs]);
    await sh.run(['ip', 'link', 'add', vmVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vmNs]);
    await sh.run(['ip', 'link', 'set', 'dev', vmVeth, 'master', bridgeName(net.id), 'up']);
    await inVm(vmNs, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
    await inVm(vmNs, ['ip', 'link', 'set', 'dev', 'eth0', 'address', vmPort.mac_address, 'up']);
    await inVm(vmNs, ['ip', 'addr', 'add', `${vmIp}/24`, 'dev', 'eth0']);
    await inVm(vmNs, ['ip', 'route', 'add', 'default', 'via', subnet.gateway_ip]);

    await until('the VM to ping its router', () => inVm(vmNs, ['busybox', 'ping', '-c', '1', '-W', '1', subnet.gateway_ip]), WAIT);
    // SNAT: the host sees the VM's connection come from the router's gateway address.
    const hostPort = await listen(hostServer, `${ext}.1`);
    await until('the VM to reach the host', () => inVm(vmNs, ['busybox', 'wget', '-q', '-O', '-', `http://${ext}.1:${hostPort}/`]), WAIT);
    assert.equal(hostSeen.at(-1), gatewayIp, 'SNAT to the gateway address');

    // A floating IP: ACTIVE once wired, the host reaches the VM through it, and the VM's traffic leaves as it.
    const fip = await n.create(admin, 'floatingips', 'floatingip', { floating_network_id: extNet.id, port_id: vmPort.id });
    await until('the floating IP ACTIVE', async () => (await get(`/v2.0/floatingips/${fip.id}`)).floatingip.status === 'ACTIVE', WAIT);
    await until('the host to ping the floating IP', () => sh.run(['busybox', 'ping', '-c', '1', '-W', '1', fip.floating_ip_address]), WAIT);
    await inVm(vmNs, ['busybox', 'wget', '-q', '-O', '-', `http://${ext}.1:${hostPort}/`]);
    assert.equal(hostSeen.at(-1), fip.floating_ip_address, 'SNAT of the VM to its floating IP');

    // Metadata: the router's proxy and the metadata agent identify the instance and sign it for Compute.
    const body = await until('metadata', () => inVm(vmNs, ['busybox', 'wget', '-q', '-O', '-', 'http://169.254.169.254/openstack/latest/meta_data.json']), WAIT);
    assert.deepEqual(JSON.parse(body), { uuid: instanceId });
    const seen = novaSeen.at(-1)!;
    assert.equal(seen.url, '/openstack/latest/meta_data.json');
    assert.equal(seen.headers['x-instance-id'], instanceId);
    assert.equal(seen.headers['x-tenant-id'], vmPort.project_id);
    assert.equal(seen.headers['x-instance-id-signature'], createHmac('sha256', secret).update(instanceId).digest('hex'));
    assert.equal(seen.headers['x-forwarded-for'], vmIp);

    // A restart: a new agent and driver resync, and the floating IP keeps working.
    await agent!.stop();
    driver = newDriver();
    await startAgent();
    await sh.run(['busybox', 'ping', '-c', '1', '-W', '2', fip.floating_ip_address]);

    // Deletes: the floating IP's NAT goes with it; the router takes its namespace and proxy along.
    assert.equal((await n.call('DELETE', `/v2.0/floatingips/${fip.id}`, { token })).status, 204);
    await until('the floating IP NAT to go', async () => !(await sh.run(['ip', 'netns', 'exec', routerNamespace(router.id), 'nft', 'list', 'table', 'ip', 'stratus'])).includes(fip.floating_ip_address), WAIT);
    const proxyPid = Number((await sh.run(['cat', join(stateDir, 'metadata-proxy', `router-${router.id}`, 'pid')])).trim());
    assert.equal((await n.call('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { token, body: { subnet_id: subnet.id } })).status, 200);
    assert.equal((await n.call('DELETE', `/v2.0/routers/${router.id}`, { token })).status, 204);
    await until('the router namespace to go', async () => !(await namespaces()).includes(routerNamespace(router.id)), WAIT);
    await until('the metadata proxy to stop', async () => { try { process.kill(proxyPid, 0); return false; } catch { return true; } }, WAIT);
    await sh.run(['ip', 'netns', 'del', vmNs]);
    assert.equal((await n.call('DELETE', `/v2.0/ports/${vmPort.id}`, { token })).status, 204);
    for (const id of [net.id, extNet.id]) assert.equal((await n.call('DELETE', `/v2.0/networks/${id}`, { token })).status, 204);
    await until('the bridges to go', async () => { const l = await sh.ipJson<{ ifname: string }>(['link', 'show']); return !l.some((x) => x.ifname === bridgeName(net.id) || x.ifname === bridgeName(extNet.id)); }, WAIT);
  });
});
