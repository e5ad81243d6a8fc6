// Ports through the API: IPAM that never hands out an address twice (also under concurrent creation), MACs,
// security groups by default, binding, and the protections around fixed IPs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from './test-network.ts';
import type { TestNetwork } from './test-network.ts';

describe('network API: ports and IPAM', () => {
  let n: TestNetwork;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let net: any; let subnet: any;
  before(async () => {
    n = await startNetwork();
    net = await n.create(n.as.alice, 'networks', 'network', { name: 'ports-net' });
    subnet = await n.create(n.as.alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '192.168.10.0/24', allocation_pools: [{ start: '192.168.10.10', end: '192.168.10.20' }] });
  });
  after(async () => { await n?.close(); });

  it('creates a DOWN port with an address from the pool, a fa:16:3e MAC and the default security group', async () => {
    const port = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id, name: 'p' });
    assert.equal(port.status, 'DOWN');
    assert.match(port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '192.168.10.10' }]);
    assert.equal(port.security_groups.length, 1);
    assert.equal(port['binding:vif_type'], undefined, 'binding details are for admins');
    const groups = (await n.call('GET', '/v2.0/security-groups?name=default', { token: n.as.alice.token })).body.security_groups;
    assert.deepEqual(groups.map((g: { id: string }) => g.id), port.security_groups);
    assert.equal(groups[0].security_group_rules.length, 4);
    await n.api.flushEvents();
    assert.ok(n.notifications.some((x) => x.eventType === 'port.create.end' && (x.payload as { port: { id: string } }).port.id === port.id));
  });

  it('honours a requested address and refuses one in use, outside the subnet or the gateway', async () => {
    const port = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '192.168.10.100' }] });
    assert.equal(port.fixed_ips[0].ip_address, '192.168.10.100');
    const cases: [unknown, number, string][] = [
      [[{ ip_address: '192.168.10.100' }], 409, 'IpAddressInUse'],
      [[{ subnet_id: subnet.id, ip_address: '10.0.0.5' }], 400, 'InvalidIpForSubnet'],
      [[{ ip_address: '10.0.0.5' }], 400, 'InvalidIpForNetwork'],
      [[{ ip_address: '192.168.10.1' }], 409, 'IpAddressInUse'],
      [[{ ip_address: 'not-an-ip' }], 400, 'InvalidInput'],
      [[{ subnet_id: 'nope' }], 400, 'InvalidInput'],
    ];
    for (const [fixed_ips, status, type] of cases) {
      const r = await n.call('POST', '/v2.0/ports', { token: n.as.alice.token, body: { port: { network_id: net.id, fixed_ips } } });
      assert.equal(r.status, status, JSON.stringify(fixed_ips));
      assert.equal(r.body.NeutronError.type, type);
    }
    const badMac = await n.call('POST', '/v2.0/ports', { token: n.as.alice.token, body: { port: { network_id: net.id, mac_address: 'zz:zz' } } });
    assert.equal(badMac.status, 400);
    const macUsed = await n.call('POST', '/v2.0/ports', { token: n.as.alice.token, body: { port: { network_id: net.id, mac_address: port.mac_address } } });
    assert.equal(macUsed.body.NeutronError.type, 'MacAddressInUse');
    const members = (await n.call('GET', `/v2.0/ports?network_id=${net.id}`, { token: n.as.alice.token })).body.ports;
    assert.equal(members.length, 2, 'refused requests left nothing behind');
    const byIp = (await n.call('GET', '/v2.0/ports?fixed_ips=ip_address%3D192.168.10.100', { token: n.as.alice.token })).body.ports;
    assert.deepEqual(byIp.map((p: { id: string }) => p.id), [port.id]);
    assert.equal((await n.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.as.alice.token })).body.NeutronError.type, 'NetworkInUse');
    assert.equal((await n.call('DELETE', `/v2.0/ports/${port.id}`, { token: n.as.alice.token })).status, 204);
    const again = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id, fixed_ips: [{ ip_address: '192.168.10.100' }] });
    assert.equal(again.fixed_ips[0].ip_address, '192.168.10.100', 'a deleted port releases its address');
  });

  it('gives concurrent ports distinct addresses and answers IpAddressGenerationFailure once the /28 is full', async () => {
    const small = await n.create(n.as.bob, 'networks', 'network', { name: 'small' });
    const s = await n.create(n.as.bob, 'subnets', 'subnet', { network_id: small.id, ip_version: 4, cidr: '10.20.0.0/28' });
    const results = await Promise.all(Array.from({ length: 20 }, () => n.call('POST', '/v2.0/ports', { token: n.as.bob.token, body: { port: { network_id: small.id } } })));
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    assert.equal(created.length, 13, 'a /28 has 14 usable addresses, one of them the gateway');
    const ips = created.map((r) => r.body.port.fixed_ips[0].ip_address);
    assert.equal(new Set(ips).size, 13);
    assert.ok(!ips.includes(s.gateway_ip));
    for (const r of refused) {
      assert.equal(r.status, 409);
      assert.equal(r.body.NeutronError.type, 'IpAddressGenerationFailure');
      assert.equal(r.body.NeutronError.message, `No more IP addresses available on network ${small.id}.`);
    }
    assert.equal((await n.call('GET', `/v2.0/ports?network_id=${small.id}`, { token: n.as.bob.token })).body.ports.length, 13);
  });

  it('binds a port to a host for admins and services, turning it ACTIVE, and unbinds it again', async () => {
    const port = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm-1' });
    const denied = await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.alice.token, body: { port: { 'binding:host_id': 'node1' } } });
    assert.equal(denied.status, 403);
    const bound = await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.admin.token, body: { port: { 'binding:host_id': 'node1', 'binding:profile': { k: 'v' } } } });
    assert.equal(bound.status, 200);
    assert.equal(bound.body.port.status, 'ACTIVE');
    assert.equal(bound.body.port['binding:vif_type'], 'bridge');
    assert.deepEqual(bound.body.port['binding:vif_details'], { port_filter: true, connectivity: 'l2', bridge_name: `brq${net.id.slice(0, 11)}`, tap_name: `tap${port.id.slice(0, 11)}` });
    assert.equal(bound.body.port['binding:host_id'], 'node1');
    const unbound = await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.admin.token, body: { port: { 'binding:host_id': '' } } });
    assert.equal(unbound.body.port.status, 'DOWN');
    assert.equal(unbound.body.port['binding:vif_type'], 'unbound');
    assert.equal((await n.call('GET', '/v2.0/ports?device_id=vm-1', { token: n.as.alice.token })).body.ports.length, 1);
  });

  it('changes fixed IPs, security groups, port security and address pairs consistently', async () => {
    const port = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id });
    const moved = await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.alice.token, body: { port: { fixed_ips: [{ ip_address: '192.168.10.50' }] } } });
    assert.deepEqual(moved.body.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address), ['192.168.10.50']);
    const reuse = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id, fixed_ips: [{ ip_address: port.fixed_ips[0].ip_address }] });
    assert.equal(reuse.fixed_ips[0].ip_address, port.fixed_ips[0].ip_address, 'the old address was released');
    const conflict = await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.alice.token, body: { port: { port_security_enabled: false } } });
    assert.equal(conflict.status, 409);
    const off = await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.alice.token, body: { port: { port_security_enabled: false, security_groups: [] } } });
    assert.equal(off.status, 200);
    assert.deepEqual(off.body.port.security_groups, []);
    const pairs = await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.alice.token, body: { port: { allowed_address_pairs: [{ ip_address: '10.0.0.0/24' }] } } });
    assert.equal(pairs.body.NeutronError.type, 'AddressPairAndPortSecurityRequired');
    const on = await n.call('PUT', `/v2.0/ports/${port.id}`, { token: n.as.alice.token, body: { port: { port_security_enabled: true, allowed_address_pairs: [{ ip_address: '10.0.0.0/24' }] } } });
    assert.deepEqual(on.body.port.allowed_address_pairs, [{ ip_address: '10.0.0.0/24', mac_address: port.mac_address }]);
    assert.equal(on.body.port.revision_number, 4);
  });

  it('gives dual-stack ports an IPv4 and an IPv6 address (EUI-64 on SLAAC), and guards shared networks\' addresses', async () => {
    const shared = await n.create(n.as.admin, 'networks', 'network', { name: 'dual', shared: true });
    const v4 = await n.create(n.as.admin, 'subnets', 'subnet', { network_id: shared.id, ip_version: 4, cidr: '10.60.0.0/24' });
    const v6 = await n.create(n.as.admin, 'subnets', 'subnet', { network_id: shared.id, ip_version: 6, cidr: '2001:db8:60::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    const stateful = await n.create(n.as.admin, 'networks', 'network', { name: 'v6only' });
    const v6s = await n.create(n.as.admin, 'subnets', 'subnet', { network_id: stateful.id, ip_version: 6, cidr: '2001:db8:61::/64' });
    const macDenied = await n.call('POST', '/v2.0/ports', { token: n.as.bob.token, body: { port: { network_id: shared.id, mac_address: 'fa:16:3e:12:34:56' } } });
    assert.equal(macDenied.status, 403, 'only the network\'s owner picks MACs on it');
    const port = await n.create(n.as.admin, 'ports', 'port', { network_id: shared.id, mac_address: 'FA:16:3E:12:34:56', project_id: n.as.bob.projectId });
    assert.equal(port.project_id, n.as.bob.projectId);
    assert.equal(port.mac_address, 'fa:16:3e:12:34:56');
    assert.deepEqual(port.fixed_ips, [{ subnet_id: v4.id, ip_address: '10.60.0.2' }, { subnet_id: v6.id, ip_address: '2001:db8:60:0:f816:3eff:fe12:3456' }]);
    const six = await n.create(n.as.admin, 'ports', 'port', { network_id: stateful.id });
    assert.deepEqual(six.fixed_ips, [{ subnet_id: v6s.id, ip_address: '2001:db8:61::2' }]);
    const bySubnet = await n.call('POST', '/v2.0/ports', { token: n.as.bob.token, body: { port: { network_id: shared.id, fixed_ips: [{ subnet_id: v4.id }] } } });
    assert.equal(bySubnet.status, 201);
    const byAddress = await n.call('POST', '/v2.0/ports', { token: n.as.bob.token, body: { port: { network_id: shared.id, fixed_ips: [{ ip_address: '10.60.0.50' }] } } });
    assert.equal(byAddress.status, 403, 'only the network\'s owner picks addresses on it');
    const foreignGroup = (await n.call('GET', '/v2.0/security-groups', { token: n.as.alice.token })).body.security_groups[0].id;
    const r = await n.call('POST', '/v2.0/ports', { token: n.as.bob.token, body: { port: { network_id: shared.id, security_groups: [foreignGroup] } } });
    assert.equal(r.body.NeutronError.type, 'SecurityGroupNotFound');
  });
});
