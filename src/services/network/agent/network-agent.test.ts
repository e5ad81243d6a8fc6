// The agent contract end to end on the in-process bus: the server fans port changes out, the agent on the bound
// host wires them through the (noop) driver and reports them up; other hosts' agents leave them alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import { startNetwork } from '../api/test-network.ts';
import type { TestNetwork } from '../api/test-network.ts';
import { startNetworkAgent } from './network-agent.ts';
import type { NetworkAgent } from './network-agent.ts';
import { createNoopDriver } from './drivers/noop/noop-driver.ts';
import type { NoopDriver } from './drivers/noop/noop-driver.ts';

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('network agent with the noop driver', () => {
  let n: TestNetwork;
  const drivers: Record<string, NoopDriver> = { node1: createNoopDriver(), node2: createNoopDriver() };
  const agents: NetworkAgent[] = [];
  before(async () => {
    n = await startNetwork();
    for (const host of Object.keys(drivers)) agents.push(await startNetworkAgent({ bus: n.bus, host, driver: drivers[host], log: silentLogger() }));
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await n?.close();
  });

  it('wires a bound port only on its host, moves it on rebinding and unwires it on delete', async () => {
    const net = await n.create(n.as.admin, 'networks', 'network', { name: 'wired' });
    await n.create(n.as.admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.50.0.0/24' });
    const port = await n.create(n.as.admin, 'ports', 'port', { network_id: net.id, 'binding:host_id': 'node1' });
    await until(() => drivers.node1.state().ports.has(port.id), 'node1 to plug the port');
    const wired = drivers.node1.state().ports.get(port.id)!;
    assert.equal(wired.macAddress, port.mac_address);
    assert.deepEqual(wired.fixedIps, [{ subnetId: port.fixed_ips[0].subnet_id, ipAddress: port.fixed_ips[0].ip_address }]);
    assert.equal(wired.network.networkType, 'vxlan');
    assert.equal(drivers.node1.state().networks.get(net.id)?.segmentationId, net['provider:segmentation_id']);
    assert.ok(!drivers.node2.state().ports.has(port.id));

    await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.admin.token, body: { port: { 'binding:host_id': 'node2' } } });
    await until(() => drivers.node2.state().ports.has(port.id) && !drivers.node1.state().ports.has(port.id), 'the port to move to node2');
    assert.equal((await n.call('GET', `/v2.0/ports/${port.id}`, { token: n.as.admin.token })).body.port.status, 'ACTIVE');

    await n.call('DELETE', `/v2.0/ports/${port.id}`, { token: n.as.admin.token });
    await until(() => !drivers.node2.state().ports.has(port.id), 'node2 to unplug the port');
    await n.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.as.admin.token });
    await until(() => !drivers.node1.state().networks.has(net.id) && !drivers.node2.state().networks.has(net.id), 'the network to go');
  });
});
