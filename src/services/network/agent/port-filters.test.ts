// Port filtering end to end on the in-process bus with the noop driver: the agent hands the driver every filtered
// port wired on its host with its groups' rules and the remote groups' members, and keeps that picture current as
// rules, memberships and ports change; ports without port security, and the networking service's own, are not filtered.
// Alone, the agent's side coalesces applies, refetches only for groups it depends on, and retries a failed apply.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import { startNetwork } from '../api/test-network.ts';
import type { TestNetwork } from '../api/test-network.ts';
import { networkServerRpc } from '../rpc/agent-rpc.ts';
import { startNetworkAgent } from './network-agent.ts';
import type { NetworkAgent } from './network-agent.ts';
import { createNoopDriver } from './drivers/noop/noop-driver.ts';
import type { DataPlaneDriver, PortFilterState } from './drivers/data-plane-driver.ts';
import { createPortFilters } from './port-filters.ts';
import type { RpcClient } from '#lib/bus/index.ts';
import type { NetworkServerMethods, PortDetails } from '../rpc/agent-rpc.ts';
import { until } from '#lib/test-wait.ts';

describe('port filters through the agent (noop driver)', () => {
  let n: TestNetwork;
  const driver = createNoopDriver();
  let agent: NetworkAgent;
  const filters = () => driver.state().filters;
  const filtered = () => filters().ports.map((p) => p.portId).sort();
  before(async () => {
    n = await startNetwork();
    agent = await startNetworkAgent({ bus: n.bus, host: 'sg-host', driver, dhcp: true, log: silentLogger() });
    await agent.resynced;
  });
  after(async () => {
    await agent?.stop();
    await n?.close();
  });

  it('filters bound ports by their groups\' rules and remote members, following rule, member and port changes', async () => {
    const who = n.as.alice;
    const token = who.token;
    const net = await n.create(who, 'networks', 'network', { name: 'sg' });
    await n.create(who, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.61.0.0/24' });
    const a = await n.create(who, 'ports', 'port', { network_id: net.id });
    await n.call('PUT', `/v2.0/ports/${a.id}`, { token: n.as.admin.token, body: { port: { 'binding:host_id': 'sg-host' } } });
    await until('port A filtered', () => filtered().includes(a.id));
    const groupId = a.security_groups[0] as string;
    // The default group: egress everywhere, ingress from its own members (IPv4 and IPv6).
    assert.deepEqual(filters().groups.rules[groupId].map((r) => [r.direction, r.ethertype, r.remoteGroupId]).sort(), [
      ['egress', 'IPv4', null], ['egress', 'IPv6', null], ['ingress', 'IPv4', groupId], ['ingress', 'IPv6', groupId],
    ]);
    assert.deepEqual(filters().groups.members[groupId], [a.fixed_ips[0].ip_address]);
    // The filter comes before the device: the port is plugged and reported up after it.
    assert.ok(driver.state().ports.has(a.id));

    // A port joining the group anywhere (even unbound) makes its addresses members, with its allowed address pairs.
    const b = await n.create(who, 'ports', 'port', { network_id: net.id, allowed_address_pairs: [{ ip_address: '10.61.9.0/24' }] });
    await until('port B to become a member', () => filters().groups.members[groupId]?.includes(b.fixed_ips[0].ip_address));
    assert.ok(filters().groups.members[groupId].includes('10.61.9.0/24'));
    assert.deepEqual(filtered(), [a.id], 'an unbound port is a member, not filtered here');

    // A new rule reaches the filters; so does its removal.
    const rule = await n.create(who, 'security-group-rules', 'security_group_rule', {
      security_group_id: groupId, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0',
    });
    const hasSsh = () => filters().groups.rules[groupId].some((r) => r.protocol === 'tcp' && r.portRangeMin === 22);
    await until('the ssh rule', hasSsh);
    assert.equal((await n.call('DELETE', `/v2.0/security-group-rules/${rule.id}`, { token })).status, 204);
    await until('the ssh rule to go', () => !hasSsh());

    // B leaving the group (its groups emptied) takes its addresses out of the members.
    await n.call('PUT', `/v2.0/ports/${b.id}`, { token, body: { port: { security_groups: [] } } });
    await until('port B to leave the members', () => !filters().groups.members[groupId].includes(b.fixed_ips[0].ip_address));

    // A group naming another as remote group: deleting that one takes the rule along, and the filters follow.
    const web = await n.create(who, 'security-groups', 'security_group', { name: 'web' });
    const peers = await n.create(who, 'security-groups', 'security_group', { name: 'peers' });
    await n.create(who, 'security-group-rules', 'security_group_rule', { security_group_id: web.id, direction: 'ingress', remote_group_id: peers.id });
    await n.call('PUT', `/v2.0/ports/${a.id}`, { token, body: { port: { security_groups: [groupId, web.id] } } });
    await until('the peers group as a remote group', () => filters().groups.members[peers.id] !== undefined);
    assert.equal((await n.call('DELETE', `/v2.0/security-groups/${peers.id}`, { token })).status, 204);
    await until('the rule naming peers to go', () => filters().groups.members[peers.id] === undefined && !filters().groups.rules[web.id].some((r) => r.remoteGroupId === peers.id));

    // Port security off: wired, not filtered.
    await n.call('PUT', `/v2.0/ports/${a.id}`, { token, body: { port: { security_groups: [], port_security_enabled: false } } });
    await until('port A unfiltered', () => !filtered().includes(a.id));
    assert.ok(driver.state().ports.has(a.id));

    // The DHCP port on this host is wired and never filtered; a deleted port leaves the filters.
    await n.call('PUT', `/v2.0/ports/${a.id}`, { token, body: { port: { port_security_enabled: true, security_groups: [groupId] } } });
    await until('port A filtered again', () => filtered().includes(a.id));
    await agent.settled();
    assert.deepEqual(filtered(), [a.id]);
    assert.equal((await n.call('DELETE', `/v2.0/ports/${a.id}`, { token })).status, 204);
    await until('port A to go', () => !filtered().length && !driver.state().ports.has(a.id));
  });

  it('answers an agent with each existing group\'s rules and only the members of the remote groups they name', async () => {
    const who = n.as.alice;
    const net = await n.create(who, 'networks', 'network', { name: 'info' });
    await n.create(who, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.62.0.0/24' });
    const g = await n.create(who, 'security-groups', 'security_group', { name: 'plain' });
    await n.create(who, 'ports', 'port', { network_id: net.id, security_groups: [g.id] });
    const id = 'req-sg-info';
    const info = await networkServerRpc.client(n.bus).call('security_group_info', { securityGroupIds: [g.id, 'no-such-group'], host: 'sg-host' }, { requestId: id, globalRequestId: id });
    assert.deepEqual(Object.keys(info.rules), [g.id], 'a group that does not exist is absent');
    assert.deepEqual(info.rules[g.id].map((r) => [r.direction, r.ethertype, r.protocol, r.remoteGroupId]).sort(), [['egress', 'IPv4', null, null], ['egress', 'IPv6', null, null]]);
    assert.deepEqual(info.members, {}, 'no rule names a remote group');
  });
});

describe('port filters (agent side, alone)', () => {
  const net = { networkType: 'local', physicalNetwork: null, segmentationId: null, mtu: 1500 };
  const port = (id: string, over: Partial<PortDetails> = {}): PortDetails => ({
    portId: id, networkId: 'n', macAddress: 'fa:16:3e:00:00:01', fixedIps: [], adminStateUp: true, deviceOwner: 'compute:nova', deviceId: '', hostId: 'h',
    portSecurityEnabled: true, securityGroupIds: ['g1'], allowedAddressPairs: [], network: net, ...over,
  });
  function setup() {
    const applied: PortFilterState[] = [];
    const seen = { calls: 0, fail: false };
    const server = {
      async call() {
        seen.calls++;
        if (seen.fail) throw new Error('the server is away');
        return { rules: { g1: [] }, members: { g2: ['10.0.0.9'] } };
      },
    } as unknown as RpcClient<NetworkServerMethods>;
    const driver = { name: 'test', async syncPortFilters(state: PortFilterState) { applied.push(state); } } as unknown as DataPlaneDriver;
    const filters = createPortFilters({ server, driver, host: 'h', context: () => ({ requestId: 'r', globalRequestId: 'r' }), log: silentLogger(), retryMs: 20 });
    return { applied, seen, filters };
  }

  it('coalesces changes that come while an apply runs, and skips ports it does not filter', async () => {
    const { applied, filters } = setup();
    await Promise.all([filters.portWired(port('p1')), filters.portWired(port('p2')), filters.portWired(port('p3'))]);
    assert.ok(applied.length <= 2, `${applied.length} applies for three ports`);
    assert.deepEqual(applied.at(-1)!.ports.map((p) => p.portId).sort(), ['p1', 'p2', 'p3']);
    const before = applied.length;
    await filters.portWired(port('p1'));
    await filters.portWired(port('dhcp', { deviceOwner: 'network:dhcp' }));
    await filters.portWired(port('open', { portSecurityEnabled: false, securityGroupIds: [] }));
    assert.equal(applied.length, before, 'nothing changed for the filters');
    await filters.portUnwired('p2');
    assert.deepEqual(applied.at(-1)!.ports.map((p) => p.portId).sort(), ['p1', 'p3']);
    filters.stop();
  });

  it('refetches only for groups its ports depend on (their own and the remote groups their rules name)', async () => {
    const { seen, filters } = setup();
    await filters.portWired(port('p1'));
    const calls = seen.calls;
    filters.groupsChanged(['unrelated']);
    await filters.idle();
    assert.equal(seen.calls, calls);
    filters.groupsChanged(['g2']);
    await filters.idle();
    assert.equal(seen.calls, calls + 1, 'g2 is a remote group of the rules');
    filters.stop();
  });

  it('rejects a port\'s filter the server cannot answer for, and applies it once the server is back', async () => {
    const { applied, seen, filters } = setup();
    seen.fail = true;
    await assert.rejects(filters.portWired(port('p1')), /the server is away/);
    assert.equal(applied.length, 0);
    seen.fail = false;
    await until('the retry to apply', () => applied.length > 0);
    assert.deepEqual(applied[0].ports.map((p) => p.portId), ['p1']);
    filters.stop();
  });
});
