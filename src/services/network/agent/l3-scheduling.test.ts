// L3 agent scheduling end to end on the in-process bus with two noop agents: routers spread (least routers first)
// when they first need a host, each host's driver holds exactly its routers, an admin moves one (remove + add), and
// a router whose agent dies stays there unless allow_automatic_l3agent_failover moves it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import { until } from '#lib/test-wait.ts';
import { startNetwork } from '../api/test-network.ts';
import type { TestNetwork } from '../api/test-network.ts';
import { startNetworkAgent } from './network-agent.ts';
import type { NetworkAgent } from './network-agent.ts';
import { createNoopDriver } from './drivers/noop/noop-driver.ts';
import type { NoopDriver } from './drivers/noop/noop-driver.ts';

type Agent = { id: string; host: string; agent_type: string; binary: string; alive: boolean; admin_state_up: boolean };

async function twoAgents(n: TestNetwork, hosts: string[]) {
  const drivers: Record<string, NoopDriver> = {};
  const agents: Record<string, NetworkAgent> = {};
  for (const host of hosts) {
    drivers[host] = createNoopDriver();
    agents[host] = await startNetworkAgent({ bus: n.bus, host, driver: drivers[host], dhcp: false, l3: true, log: silentLogger(), reportIntervalMs: 200 });
    await agents[host].resynced;
  }
  const list = (await n.call('GET', '/v2.0/agents?agent_type=L3 agent', { token: n.as.admin.token })).body.agents as Agent[];
  const ids = Object.fromEntries(list.map((a) => [a.host, a.id]));
  return { drivers, agents, ids };
}

async function externalNetwork(n: TestNetwork, cidr: string) {
  const ext = await n.create(n.as.admin, 'networks', 'network', { name: 'ext', 'router:external': true });
  await n.create(n.as.admin, 'subnets', 'subnet', { network_id: ext.id, ip_version: 4, cidr, enable_dhcp: false });
  return ext;
}

describe('L3 agent scheduling (two noop agents)', () => {
  let n: TestNetwork;
  let drivers: Record<string, NoopDriver>;
  let agents: Record<string, NetworkAgent>;
  let ids: Record<string, string>;
  before(async () => {
    n = await startNetwork({ agent_down_time: 2 });
    ({ drivers, agents, ids } = await twoAgents(n, ['net-a', 'net-b']));
  });
  after(async () => {
    for (const a of Object.values(agents ?? {})) await a.stop();
    await n?.close();
  });
  const admin = () => n.as.admin.token;
  const hostOf = async (routerId: string) => ((await n.call('GET', `/v2.0/routers/${routerId}/l3-agents`, { token: admin() })).body.agents as Agent[]).map((a) => a.host);
  const legHosts = async (routerId: string) => ((await n.call('GET', `/v2.0/ports?device_id=${routerId}`, { token: admin() })).body.ports as { 'binding:host_id': string }[]).map((p) => p['binding:host_id']);

  it('lists each host\'s L3 agent, alive from its heartbeats, to admins only', async () => {
    const r = await n.call('GET', '/v2.0/agents', { token: admin() });
    assert.equal(r.status, 200);
    const l3 = (r.body.agents as Agent[]).filter((a) => a.agent_type === 'L3 agent').sort((a, b) => a.host.localeCompare(b.host));
    assert.deepEqual(l3.map((a) => [a.host, a.binary, a.alive, a.admin_state_up]), [['net-a', 'neutron-l3-agent', true, true], ['net-b', 'neutron-l3-agent', true, true]]);
    const shown = await n.call('GET', `/v2.0/agents/${ids['net-a']}`, { token: admin() });
    assert.equal(shown.body.agent.topic, 'l3_agent');
    assert.match(shown.body.agent.heartbeat_timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal((await n.call('GET', '/v2.0/agents', { token: n.as.alice.token })).status, 403);
    assert.equal((await n.call('GET', '/v2.0/agents/nope', { token: admin() })).body.NeutronError.type, 'AgentNotFound');
    const ext = (await n.call('GET', '/v2.0/extensions', { token: admin() })).body.extensions.map((e: { alias: string }) => e.alias);
    assert.ok(ext.includes('agent') && ext.includes('l3_agent_scheduler'));
  });

  it('schedules a router when it first needs a host, least routers first, and only that host wires it', async () => {
    const ext = await externalNetwork(n, '172.31.0.0/24');
    const bare = await n.create(n.as.admin, 'routers', 'router', { name: 'bare' });
    assert.deepEqual(await hostOf(bare.id), [], 'no legs, no host');
    const routers: { id: string }[] = [];
    for (let i = 0; i < 4; i += 1) routers.push(await n.create(n.as.admin, 'routers', 'router', { name: `r${i}`, external_gateway_info: { network_id: ext.id } }));
    const hosts = await Promise.all(routers.map((r) => hostOf(r.id)));
    assert.deepEqual(hosts.flat().sort(), ['net-a', 'net-a', 'net-b', 'net-b'], 'two each');
    for (const [i, r] of routers.entries()) assert.deepEqual(await legHosts(r.id), hosts[i], 'the gateway leg is bound to the router\'s host');
    await until('each driver to hold exactly its routers', () => ['net-a', 'net-b'].every((h) =>
      [...drivers[h].state().routers.keys()].sort().join() === routers.filter((_, i) => hosts[i][0] === h).map((r) => r.id).sort().join()));
    const onA = (await n.call('GET', `/v2.0/agents/${ids['net-a']}/l3-routers`, { token: admin() })).body.routers.map((r: { id: string }) => r.id).sort();
    assert.deepEqual(onA, routers.filter((_, i) => hosts[i][0] === 'net-a').map((r) => r.id).sort());

    // The first interface schedules the bare router.
    const net = await n.create(n.as.admin, 'networks', 'network', { name: 'in' });
    const subnet = await n.create(n.as.admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.80.0.0/24' });
    assert.equal((await n.call('PUT', `/v2.0/routers/${bare.id}/add_router_interface`, { token: admin(), body: { subnet_id: subnet.id } })).status, 200);
    const [host] = await hostOf(bare.id);
    assert.ok(host);
    assert.deepEqual(await legHosts(bare.id), [host]);
    await until('its host to wire it', () => drivers[host].state().routers.has(bare.id));
    assert.ok(!drivers[host === 'net-a' ? 'net-b' : 'net-a'].state().routers.has(bare.id));
  });

  it('moves a router: removed from one agent (torn down there), added to the other (wired there)', async () => {
    const ext = await externalNetwork(n, '172.31.1.0/24');
    const r = await n.create(n.as.admin, 'routers', 'router', { external_gateway_info: { network_id: ext.id } });
    const [from] = await hostOf(r.id);
    const to = from === 'net-a' ? 'net-b' : 'net-a';
    await until('the first host to wire it', () => drivers[from].state().routers.has(r.id));

    const busy = await n.call('POST', `/v2.0/agents/${ids[to]}/l3-routers`, { token: admin(), body: { router_id: r.id } });
    assert.equal(busy.status, 409);
    assert.equal(busy.body.NeutronError.type, 'RouterHostedByL3Agent');
    assert.equal((await n.call('DELETE', `/v2.0/agents/${ids[to]}/l3-routers/${r.id}`, { token: admin() })).body.NeutronError.type, 'RouterNotHostedByL3Agent');
    assert.equal((await n.call('DELETE', `/v2.0/agents/${ids[from]}/l3-routers/${r.id}`, { token: n.as.alice.token })).status, 403);

    assert.equal((await n.call('DELETE', `/v2.0/agents/${ids[from]}/l3-routers/${r.id}`, { token: admin() })).status, 204);
    await until('the old host to tear it down', () => !drivers[from].state().routers.has(r.id));
    assert.deepEqual(await hostOf(r.id), []);
    const added = await n.call('POST', `/v2.0/agents/${ids[to]}/l3-routers`, { token: admin(), body: { router_id: r.id } });
    assert.equal(added.status, 201);
    await until('the new host to wire it', () => drivers[to].state().routers.has(r.id));
    assert.deepEqual(await hostOf(r.id), [to]);
    assert.deepEqual(await legHosts(r.id), [to]);
    assert.equal((await n.call('POST', `/v2.0/agents/${ids[to]}/l3-routers`, { token: admin(), body: { router_id: r.id } })).status, 201, 'already there: nothing to do');
    assert.equal((await n.call('POST', `/v2.0/agents/${ids[to]}/l3-routers`, { token: admin(), body: { router_id: 'nope' } })).body.NeutronError.type, 'RouterNotFound');
    assert.equal((await n.call('POST', `/v2.0/agents/${ids[to]}/l3-routers`, { token: admin(), body: {} })).status, 400);

    // A disabled agent takes no routers, by hand or by the scheduler.
    assert.equal((await n.call('PUT', `/v2.0/agents/${ids[from]}`, { token: admin(), body: { agent: { admin_state_up: false } } })).body.agent.admin_state_up, false);
    const other = await n.create(n.as.admin, 'routers', 'router', {});
    const refused = await n.call('POST', `/v2.0/agents/${ids[from]}/l3-routers`, { token: admin(), body: { router_id: other.id } });
    assert.equal(refused.body.NeutronError.type, 'InvalidL3Agent');
    const next = await n.create(n.as.admin, 'routers', 'router', { external_gateway_info: { network_id: ext.id } });
    assert.deepEqual(await hostOf(next.id), [to]);
    await n.call('PUT', `/v2.0/agents/${ids[from]}`, { token: admin(), body: { agent: { admin_state_up: true } } });

    // Deleting a router tells its host.
    assert.equal((await n.call('DELETE', `/v2.0/routers/${next.id}`, { token: admin() })).status, 204);
    await until('its host to drop the deleted router', () => !drivers[to].state().routers.has(next.id));
  });

  it('leaves a router on a dead agent (no automatic failover) and schedules new ones elsewhere', async () => {
    const ext = await externalNetwork(n, '172.31.2.0/24');
    await agents['net-b'].stop();
    await until('net-b to be dead', async () => !((await n.call('GET', `/v2.0/agents/${ids['net-b']}`, { token: admin() })).body.agent.alive), { timeoutMs: 15_000 });
    const onB = (await n.call('GET', `/v2.0/agents/${ids['net-b']}/l3-routers`, { token: admin() })).body.routers.map((r: { id: string }) => r.id);
    assert.ok(onB.length > 0);
    const r = await n.create(n.as.admin, 'routers', 'router', { external_gateway_info: { network_id: ext.id } });
    assert.deepEqual(await hostOf(r.id), ['net-a']);
    assert.deepEqual((await n.call('GET', `/v2.0/agents/${ids['net-b']}/l3-routers`, { token: admin() })).body.routers.map((x: { id: string }) => x.id), onB, 'still there');
  });
});

describe('L3 agent scheduling with allow_automatic_l3agent_failover', () => {
  it('moves routers off a dead agent to an alive one, which wires them', async () => {
    const n = await startNetwork({ agent_down_time: 2, allow_automatic_l3agent_failover: true });
    const { drivers, agents, ids } = await twoAgents(n, ['fo-a', 'fo-b']);
    try {
      const ext = await externalNetwork(n, '172.31.3.0/24');
      const routers: { id: string }[] = [];
      for (let i = 0; i < 2; i += 1) routers.push(await n.create(n.as.admin, 'routers', 'router', { external_gateway_info: { network_id: ext.id } }));
      const onB = (await n.call('GET', `/v2.0/agents/${ids['fo-b']}/l3-routers`, { token: n.as.admin.token })).body.routers.map((r: { id: string }) => r.id);
      assert.equal(onB.length, 1);
      await agents['fo-b'].stop();
      await until('the router to move to fo-a and be wired there', () => drivers['fo-a'].state().routers.has(onB[0]), { timeoutMs: 15_000 });
      const hosting = (await n.call('GET', `/v2.0/routers/${onB[0]}/l3-agents`, { token: n.as.admin.token })).body.agents.map((a: Agent) => a.host);
      assert.deepEqual(hosting, ['fo-a']);
    } finally {
      for (const a of Object.values(agents)) await a.stop();
      await n.close();
    }
  });
});
