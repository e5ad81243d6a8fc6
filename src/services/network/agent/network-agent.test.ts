// The agent contract end to end on the in-process bus: the server fans port changes out, the agent on the bound
// host wires them through the (noop) driver and reports them up; other hosts' agents leave them alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import { createMemoryBus } from '#lib/bus/index.ts';
import { startNetwork } from '../api/test-network.ts';
import type { TestNetwork } from '../api/test-network.ts';
import { startNetworkAgent } from './network-agent.ts';
import type { NetworkAgent } from './network-agent.ts';
import { createNoopDriver } from './drivers/noop/noop-driver.ts';
import { networkServerRpc } from '../rpc/agent-rpc.ts';
import type { PortDetails } from '../rpc/agent-rpc.ts';
import type { NoopDriver } from './drivers/noop/noop-driver.ts';
import { until } from '#lib/test-wait.ts';

describe('network agent with the noop driver', () => {
  let n: TestNetwork;
  const drivers: Record<string, NoopDriver> = { node1: createNoopDriver(), node2: createNoopDriver() };
  const agents: NetworkAgent[] = [];
  before(async () => {
    n = await startNetwork();
    for (const host of Object.keys(drivers)) agents.push(await startNetworkAgent({ bus: n.bus, host, driver: drivers[host], dhcp: host === 'node1', log: silentLogger() }));
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await n?.close();
  });

  it('wires a bound port only on its host, moves it on rebinding and unwires it on delete', async () => {
    const net = await n.create(n.as.admin, 'networks', 'network', { name: 'wired' });
    await n.create(n.as.admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.50.0.0/24' });
    const port = await n.create(n.as.admin, 'ports', 'port', { network_id: net.id, 'binding:host_id': 'node1' });
    await until('node1 to plug the port', () => drivers.node1.state().ports.has(port.id));
    const wired = drivers.node1.state().ports.get(port.id)!;
    assert.equal(wired.macAddress, port.mac_address);
    assert.deepEqual(wired.fixedIps, [{ subnetId: port.fixed_ips[0].subnet_id, ipAddress: port.fixed_ips[0].ip_address }]);
    assert.equal(wired.network.networkType, 'vxlan');
    assert.equal(drivers.node1.state().networks.get(net.id)?.segmentationId, net['provider:segmentation_id']);
    assert.ok(!drivers.node2.state().ports.has(port.id));

    await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.admin.token, body: { port: { 'binding:host_id': 'node2' } } });
    await until('the port to move to node2', () => drivers.node2.state().ports.has(port.id) && !drivers.node1.state().ports.has(port.id));
    assert.equal((await n.call('GET', `/v2.0/ports/${port.id}`, { token: n.as.admin.token })).body.port.status, 'ACTIVE');

    await n.call('DELETE', `/v2.0/ports/${port.id}`, { token: n.as.admin.token });
    await until('node2 to unplug the port', () => !drivers.node2.state().ports.has(port.id));
    await n.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.as.admin.token });
    await until('the network to go', () => !drivers.node1.state().networks.has(net.id) && !drivers.node2.state().networks.has(net.id));
  });

  it('serves DHCP from the DHCP host: its own network:dhcp port, every port\'s address, gone with the network', async () => {
    const net = await n.create(n.as.admin, 'networks', 'network', { name: 'dhcp' });
    const subnet = await n.create(n.as.admin, 'subnets', 'subnet', {
      network_id: net.id, ip_version: 4, cidr: '10.51.0.0/24', dns_nameservers: ['10.51.0.53'], host_routes: [{ destination: '10.60.0.0/16', nexthop: '10.51.0.254' }],
    });
    const port = await n.create(n.as.admin, 'ports', 'port', { network_id: net.id });
    const served = () => drivers.node1.state().dhcp.get(net.id);
    await until('the DHCP server to serve the port', () => Boolean(served()?.hosts.some((h) => h.portId === port.id)));
    const info = served()!;
    assert.deepEqual(info.hosts, [{ portId: port.id, macAddress: port.mac_address, ipAddress: port.fixed_ips[0].ip_address, hostname: `host-${port.fixed_ips[0].ip_address.replaceAll('.', '-')}` }]);
    assert.deepEqual(info.subnets.map((s) => [s.subnetId, s.gatewayIp, s.dnsNameservers, s.hostRoutes]), [[subnet.id, '10.51.0.1', ['10.51.0.53'], [{ destination: '10.60.0.0/16', nexthop: '10.51.0.254' }]]]);
    assert.ok(!drivers.node2.state().dhcp.has(net.id), 'only the DHCP host serves');
    const dhcpPorts = (await n.call('GET', `/v2.0/ports?network_id=${net.id}&device_owner=network:dhcp`, { token: n.as.admin.token })).body.ports;
    assert.equal(dhcpPorts.length, 1);
    assert.equal(dhcpPorts[0].id, info.dhcpPort?.portId);
    assert.equal(dhcpPorts[0]['binding:host_id'], 'node1');
    assert.equal(dhcpPorts[0].fixed_ips[0].subnet_id, subnet.id);
    assert.ok(n.notifications.some((x) => x.eventType === 'port.create.end' && (x.payload as { port: { id: string } }).port.id === dhcpPorts[0].id), 'the DHCP port is notified');

    // A second DHCP subnet gives the DHCP port an address on it; deleting the subnet takes that address back.
    const second = await n.create(n.as.admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.51.1.0/24' });
    await until('the DHCP port to join the second subnet', () => served()?.dhcpPort?.fixedIps.length === 2 && served()!.subnets.length === 2);
    assert.equal((await n.call('DELETE', `/v2.0/subnets/${second.id}`, { token: n.as.admin.token })).status, 204, 'the DHCP port does not keep a subnet in use');
    await until('the DHCP server to drop the subnet', () => served()?.subnets.length === 1 && served()!.dhcpPort?.fixedIps.length === 1);

    await n.call('DELETE', `/v2.0/ports/${port.id}`, { token: n.as.admin.token });
    await until('the deleted port to leave the DHCP hosts', () => served()?.hosts.length === 0);
    // The DHCP port alone does not keep the network in use, and goes with it.
    assert.equal((await n.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.as.admin.token })).status, 204);
    await until('the DHCP server to stop', () => !served());
    assert.equal((await n.call('GET', `/v2.0/ports/${dhcpPorts[0].id}`, { token: n.as.admin.token })).status, 404);
  });
});

describe('network agent resync and a wiring data plane', () => {
  it('keeps bound ports DOWN until the agent reports them up, and a restarted agent rewires and prunes', async () => {
    const n = await startNetwork({ data_plane_driver: 'linuxbridge' });
    const driver = createNoopDriver();
    try {
      const net = await n.create(n.as.admin, 'networks', 'network', { name: 'wait-for-agent' });
      await n.create(n.as.admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.52.0.0/24', enable_dhcp: false });
      const port = await n.create(n.as.admin, 'ports', 'port', { network_id: net.id, 'binding:host_id': 'node9' });
      assert.equal(port.status, 'DOWN', 'no agent has wired it yet');
      assert.equal(port['binding:vif_type'], 'bridge');
      assert.equal(port['binding:vif_details'].bridge_name, `brq${net.id.slice(0, 11)}`);
      assert.equal(port['binding:vif_details'].tap_name, `tap${port.id.slice(0, 11)}`);
      // Something stale the driver holds from before the restart, which the server no longer knows.
      await driver.plugPort({ ...(await driverPort(n, port.id)), portId: 'stale-port', networkId: 'stale-net' });
      const agent = await startNetworkAgent({ bus: n.bus, host: 'node9', driver, dhcp: false, log: silentLogger() });
      try {
        await agent.resynced;
        assert.ok(driver.state().ports.has(port.id), 'resync wired the bound port');
        assert.ok(!driver.state().ports.has('stale-port') && !driver.state().networks.has('stale-net'), 'resync removed what nothing claims');
        await until('the port to turn ACTIVE', async () => (await n.call('GET', `/v2.0/ports/${port.id}`, { token: n.as.admin.token })).body.port.status === 'ACTIVE');
        await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.admin.token, body: { port: { name: 'renamed' } } });
        assert.equal((await n.call('GET', `/v2.0/ports/${port.id}`, { token: n.as.admin.token })).body.port.status, 'ACTIVE', 'an update on the same host keeps it up');
        await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.admin.token, body: { port: { admin_state_up: false } } });
        await until('an admin-down port to be reported DOWN', async () => (await n.call('GET', `/v2.0/ports/${port.id}`, { token: n.as.admin.token })).body.port.status === 'DOWN');
      } finally {
        await agent.stop();
      }
    } finally {
      await n.close();
    }
  });
});

describe('network agent hosting routers (noop driver)', () => {
  it('gives the data plane each router\'s legs, gateway and floating IPs as they change, and drops a deleted router', async () => {
    const n = await startNetwork();
    const driver = createNoopDriver();
    const agent = await startNetworkAgent({ bus: n.bus, host: 'l3host', driver, dhcp: false, l3: true, log: silentLogger() });
    try {
      const admin = n.as.admin;
      const ext = await n.create(admin, 'networks', 'network', { name: 'ext', 'router:external': true });
      await n.create(admin, 'subnets', 'subnet', { network_id: ext.id, ip_version: 4, cidr: '172.30.0.0/24', enable_dhcp: false });
      const net = await n.create(admin, 'networks', 'network', { name: 'in' });
      const subnet = await n.create(admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.70.0.0/24' });
      const router = await n.create(admin, 'routers', 'router', { external_gateway_info: { network_id: ext.id } });
      await n.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { token: admin.token, body: { subnet_id: subnet.id } });
      const vm = await n.create(admin, 'ports', 'port', { network_id: net.id });
      const fip = await n.create(admin, 'floatingips', 'floatingip', { floating_network_id: ext.id, port_id: vm.id });
      await until('the router with its floating IP', () => (driver.state().routers.get(router.id)?.floatingIps.length ?? 0) > 0);
      const wired = driver.state().routers.get(router.id)!;
      assert.deepEqual(wired.interfaces.map((l) => l.addresses.map((a) => [a.ipAddress, a.cidr, a.gatewayIp])), [[['10.70.0.1', '10.70.0.0/24', '10.70.0.1']]]);
      assert.equal(wired.gateway?.networkId, ext.id);
      assert.deepEqual(wired.floatingIps, [{ id: fip.id, floatingIpAddress: fip.floating_ip_address, fixedIpAddress: vm.fixed_ips[0].ip_address }]);
      assert.equal(wired.enableSnat, true);

      await n.call('DELETE', `/v2.0/floatingips/${fip.id}`, { token: admin.token });
      await until('the floating IP to go', () => driver.state().routers.get(router.id)?.floatingIps.length === 0);
      await n.call('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { token: admin.token, body: { subnet_id: subnet.id } });
      await n.call('DELETE', `/v2.0/routers/${router.id}`, { token: admin.token });
      await until('the router to go', () => !driver.state().routers.has(router.id));
    } finally {
      await agent.stop();
      await n.close();
    }
  });
});

describe('network agent start-up', () => {
  it('retries the resync until the server answers, keeping what is wired meanwhile', async () => {
    const bus = createMemoryBus({});
    const driver = createNoopDriver();
    await driver.plugPort({ ...samplePort, portId: 'kept' });
    const agent = await startNetworkAgent({ bus, host: 'early', driver, dhcp: false, log: silentLogger(), resyncRetryMs: 20, resyncTimeoutMs: 50 });
    let done = false;
    void agent.resynced.then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(done, false, 'no server yet');
    assert.ok(driver.state().ports.has('kept'), 'nothing removed without the server\'s word');
    const none = async () => { throw new Error('not in this test'); };
    const server = await networkServerRpc.serve(bus, 'server', {
      get_host_ports: () => [{ ...samplePort, portId: 'bound-here' }], list_dhcp_networks: () => [],
      get_device_details: none, update_device_up: async () => {}, update_device_down: none, get_dhcp_network: none, ensure_dhcp_port: none,
      list_routers: none, get_router: none, update_router_state: none, get_metadata_port: none, security_group_info: none,
      report_state: async () => {},
    });
    try {
      await agent.resynced;
      assert.deepEqual([...driver.state().ports.keys()], ['bound-here']);
    } finally {
      await agent.stop();
      await server.close();
      await bus.close();
    }
  });
});

const samplePort: PortDetails = {
  portId: 'p', networkId: 'n', macAddress: 'fa:16:3e:00:00:01', fixedIps: [], adminStateUp: true, deviceOwner: '', deviceId: '', hostId: 'early',
  portSecurityEnabled: false, securityGroupIds: [], allowedAddressPairs: [], network: { networkType: 'local', physicalNetwork: null, segmentationId: null, mtu: 1500 },
};

async function driverPort(n: TestNetwork, portId: string) {
  const id = 'req-test';
  return (await networkServerRpc.client(n.bus).call('get_device_details', { portId, host: 'node9' }, { requestId: id, globalRequestId: id }))!;
}
