// Routers and floating IPs through the API: gateways on external networks, interfaces by subnet and by port,
// floating IPs that associate only with ports a router can reach, and the 409s that protect what is in use.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from './test-network.ts';
import type { TestNetwork } from './test-network.ts';

describe('network API: routers and floating IPs', () => {
  let n: TestNetwork;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let ext: any; let extSubnet: any; let net: any; let subnet: any;
  before(async () => {
    n = await startNetwork();
    ext = await n.create(n.as.admin, 'networks', 'network', { name: 'public', 'router:external': true });
    extSubnet = await n.create(n.as.admin, 'subnets', 'subnet', { network_id: ext.id, ip_version: 4, cidr: '172.24.4.0/24', enable_dhcp: false });
    net = await n.create(n.as.alice, 'networks', 'network', { name: 'private' });
    subnet = await n.create(n.as.alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' });
  });
  after(async () => { await n?.close(); });

  it('sets an external gateway with SNAT and an address on the external subnet', async () => {
    const r = await n.create(n.as.alice, 'routers', 'router', { name: 'r1' });
    assert.equal(r.external_gateway_info, null);
    const set = await n.call('PUT', `/v2.0/routers/${r.id}`, { token: n.as.alice.token, body: { router: { external_gateway_info: { network_id: ext.id } } } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const gw = set.body.router.external_gateway_info;
    assert.equal(gw.network_id, ext.id);
    assert.equal(gw.enable_snat, true);
    assert.deepEqual(gw.external_fixed_ips, [{ subnet_id: extSubnet.id, ip_address: '172.24.4.2' }]);
    const snat = await n.call('PUT', `/v2.0/routers/${r.id}`, { token: n.as.alice.token, body: { router: { external_gateway_info: { network_id: ext.id, enable_snat: false } } } });
    assert.equal(snat.status, 403, 'enable_snat is for admins');
    const notExternal = await n.call('PUT', `/v2.0/routers/${r.id}`, { token: n.as.alice.token, body: { router: { external_gateway_info: { network_id: net.id } } } });
    assert.equal(notExternal.status, 400);
    assert.match(notExternal.body.NeutronError.message, /not an external network/);
    const cleared = await n.call('PUT', `/v2.0/routers/${r.id}`, { token: n.as.alice.token, body: { router: { external_gateway_info: {} } } });
    assert.equal(cleared.body.router.external_gateway_info, null);
    assert.equal((await n.call('GET', `/v2.0/ports?device_id=${r.id}`, { token: n.as.admin.token })).body.ports.length, 0);
    assert.equal((await n.call('DELETE', `/v2.0/routers/${r.id}`, { token: n.as.alice.token })).status, 204);
  });

  it('attaches subnets and ports as interfaces and refuses duplicates, gatewayless subnets and busy routers', async () => {
    const r = await n.create(n.as.alice, 'routers', 'router', { name: 'r2' });
    const add = await n.call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { token: n.as.alice.token, body: { subnet_id: subnet.id } });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.equal(add.body.subnet_id, subnet.id);
    assert.deepEqual(add.body.subnet_ids, [subnet.id]);
    const leg = (await n.call('GET', `/v2.0/ports/${add.body.port_id}`, { token: n.as.alice.token })).body.port;
    assert.deepEqual([leg.device_owner, leg.device_id, leg.fixed_ips[0].ip_address], ['network:router_interface', r.id, '10.0.0.1']);
    assert.equal((await n.call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { token: n.as.alice.token, body: { subnet_id: subnet.id } })).status, 400);
    assert.equal((await n.call('DELETE', `/v2.0/ports/${leg.id}`, { token: n.as.alice.token })).status, 409);
    assert.equal((await n.call('DELETE', `/v2.0/routers/${r.id}`, { token: n.as.alice.token })).body.NeutronError.type, 'RouterInUse');

    const net2 = await n.create(n.as.alice, 'networks', 'network', { name: 'nogw' });
    const nogw = await n.create(n.as.alice, 'subnets', 'subnet', { network_id: net2.id, ip_version: 4, cidr: '10.5.0.0/24', gateway_ip: null });
    const refused = await n.call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { token: n.as.alice.token, body: { subnet_id: nogw.id } });
    assert.equal(refused.status, 400);
    assert.match(refused.body.NeutronError.message, /must have a gateway IP/);
    const port = await n.create(n.as.alice, 'ports', 'port', { network_id: net2.id });
    const byPort = await n.call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { token: n.as.alice.token, body: { port_id: port.id } });
    assert.equal(byPort.status, 200);
    assert.equal(byPort.body.port_id, port.id);
    assert.equal((await n.call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { token: n.as.alice.token, body: {} })).status, 400);
    assert.equal((await n.call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { token: n.as.bob.token, body: { subnet_id: subnet.id } })).status, 404);

    const removed = await n.call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { token: n.as.alice.token, body: { port_id: port.id } });
    assert.equal(removed.status, 200);
    assert.equal((await n.call('GET', `/v2.0/ports/${port.id}`, { token: n.as.alice.token })).status, 404);
    assert.equal((await n.call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { token: n.as.alice.token, body: { subnet_id: nogw.id } })).body.NeutronError.type, 'RouterInterfaceNotFoundForSubnet');
    assert.equal((await n.call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { token: n.as.alice.token, body: { subnet_id: subnet.id } })).status, 200);
    assert.equal((await n.call('DELETE', `/v2.0/routers/${r.id}`, { token: n.as.alice.token })).status, 204);
  });

  it('allocates floating IPs from the external network and associates them only with reachable ports', async () => {
    const port = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id });
    const fip = await n.create(n.as.alice, 'floatingips', 'floatingip', { floating_network_id: ext.id });
    assert.match(fip.floating_ip_address, /^172\.24\.4\.\d+$/);
    assert.equal(fip.status, 'DOWN');
    assert.equal(fip.port_id, null);
    const unreachable = await n.call('PUT', `/v2.0/floatingips/${fip.id}`, { token: n.as.alice.token, body: { floatingip: { port_id: port.id } } });
    assert.equal(unreachable.status, 404);
    assert.equal(unreachable.body.NeutronError.type, 'ExternalGatewayForFloatingIPNotFound');
    const notExt = await n.call('POST', '/v2.0/floatingips', { token: n.as.alice.token, body: { floatingip: { floating_network_id: net.id } } });
    assert.equal(notExt.status, 400);

    const r = await n.create(n.as.alice, 'routers', 'router', { name: 'r3', external_gateway_info: { network_id: ext.id } });
    await n.call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { token: n.as.alice.token, body: { subnet_id: subnet.id } });
    const assoc = await n.call('PUT', `/v2.0/floatingips/${fip.id}`, { token: n.as.alice.token, body: { floatingip: { port_id: port.id } } });
    assert.equal(assoc.status, 200, JSON.stringify(assoc.body));
    assert.deepEqual([assoc.body.floatingip.port_id, assoc.body.floatingip.fixed_ip_address, assoc.body.floatingip.router_id, assoc.body.floatingip.status],
      [port.id, port.fixed_ips[0].ip_address, r.id, 'ACTIVE']);
    const second = await n.create(n.as.alice, 'floatingips', 'floatingip', { floating_network_id: ext.id });
    const dup = await n.call('PUT', `/v2.0/floatingips/${second.id}`, { token: n.as.alice.token, body: { floatingip: { port_id: port.id } } });
    assert.equal(dup.body.NeutronError.type, 'FloatingIPPortAlreadyAssociated');
    assert.equal((await n.call('PUT', `/v2.0/routers/${r.id}`, { token: n.as.alice.token, body: { router: { external_gateway_info: null } } })).status, 409);
    assert.equal((await n.call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { token: n.as.alice.token, body: { subnet_id: subnet.id } })).status, 409);
    const chosen = await n.call('POST', '/v2.0/floatingips', { token: n.as.alice.token, body: { floatingip: { floating_network_id: ext.id, floating_ip_address: '172.24.4.99' } } });
    assert.equal(chosen.status, 403, 'choosing the address is for admins');

    const dis = await n.call('PUT', `/v2.0/floatingips/${fip.id}`, { token: n.as.alice.token, body: { floatingip: { port_id: null } } });
    assert.deepEqual([dis.body.floatingip.port_id, dis.body.floatingip.status], [null, 'DOWN']);
    await n.call('PUT', `/v2.0/floatingips/${fip.id}`, { token: n.as.alice.token, body: { floatingip: { port_id: port.id } } });
    assert.equal((await n.call('DELETE', `/v2.0/ports/${port.id}`, { token: n.as.alice.token })).status, 204);
    assert.equal((await n.call('GET', `/v2.0/floatingips/${fip.id}`, { token: n.as.alice.token })).body.floatingip.port_id, null, 'deleting the port disassociates');
    for (const f of [fip, second]) assert.equal((await n.call('DELETE', `/v2.0/floatingips/${f.id}`, { token: n.as.alice.token })).status, 204);
    const extPorts = (await n.call('GET', `/v2.0/ports?network_id=${ext.id}`, { token: n.as.admin.token })).body.ports;
    assert.deepEqual(extPorts.map((p: { device_owner: string }) => p.device_owner), ['network:router_gateway'], 'floating IP ports go with them');
    assert.equal((await n.call('GET', `/v2.0/floatingips/${fip.id}`, { token: n.as.bob.token })).status, 404);
  });
});
