// Bursts of port changes on one network: ports that queue behind a slow host are wired together (plugPorts, one
// filter apply), DHCP syncs coalesce, and a failed batch falls back to wiring each port on its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import { startNetwork } from '../api/test-network.ts';
import type { TestNetwork } from '../api/test-network.ts';
import { startNetworkAgent } from './network-agent.ts';
import type { NetworkAgent } from './network-agent.ts';
import { createNoopDriver } from './drivers/noop/noop-driver.ts';
import type { DataPlaneDriver } from './drivers/data-plane-driver.ts';
import { until } from '#lib/test-wait.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The noop driver, slowed down like a loaded host, counting what the agent asks of it. */
function slowDriver(opts: { failBatches: boolean }) {
  const inner = createNoopDriver();
  const calls = { plugPort: 0, plugPorts: [] as number[], syncDhcp: 0, syncPortFilters: 0 };
  const driver: DataPlaneDriver = {
    ...inner,
    async plugPort(port) { calls.plugPort++; await sleep(30); await inner.plugPort(port); },
    async plugPorts(ports) {
      calls.plugPorts.push(ports.length);
      await sleep(30);
      if (opts.failBatches) throw new Error('batch refused');
      for (const port of ports) await inner.plugPort(port);
    },
    async syncDhcp(network) { calls.syncDhcp++; await sleep(30); await inner.syncDhcp(network); },
    async syncPortFilters(state) { calls.syncPortFilters++; await inner.syncPortFilters?.(state); },
  };
  return { driver, inner, calls };
}

for (const failBatches of [false, true]) {
  describe(`network agent port bursts (${failBatches ? 'batches fail' : 'batches work'})`, () => {
    let n: TestNetwork;
    const slow = slowDriver({ failBatches });
    let agent: NetworkAgent;
    before(async () => {
      n = await startNetwork();
      agent = await startNetworkAgent({ bus: n.bus, host: 'node1', driver: slow.driver, dhcp: true, log: silentLogger() });
    });
    after(async () => {
      await agent.stop();
      await n?.close();
    });

    it('wires every port of a burst, ACTIVE, with fewer batches and DHCP syncs than ports', async () => {
      const net = await n.create(n.as.admin, 'networks', 'network', { name: 'burst' });
      await n.create(n.as.admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.70.0.0/24' });
      const ports = await Promise.all(Array.from({ length: 12 }, () => n.create(n.as.admin, 'ports', 'port', { network_id: net.id, 'binding:host_id': 'node1' })));
      await until('every port to be wired', () => ports.every((p) => slow.inner.state().ports.has(p.id)));
      await until('every port to be ACTIVE', async () => {
        const listed = (await n.call('GET', `/v2.0/ports?network_id=${net.id}&device_owner=`, { token: n.as.admin.token })).body.ports as { id: string; status: string }[];
        return ports.every((p) => listed.find((l) => l.id === p.id)?.status === 'ACTIVE');
      });
      await until('DHCP to serve every port', () => ports.every((p) => slow.inner.state().dhcp.get(net.id)?.hosts.some((h) => h.portId === p.id)));
      await agent.settled();
      assert.ok(slow.calls.plugPorts.some((size) => size > 1), `some ports were wired in one batch (${slow.calls.plugPorts.join(',')})`);
      assert.ok(slow.calls.syncDhcp < ports.length, `DHCP syncs coalesced (${slow.calls.syncDhcp} for ${ports.length} ports)`);
      if (failBatches) assert.ok(slow.calls.plugPort >= ports.length, 'a failed batch wires each port on its own');
    });
  });
}
