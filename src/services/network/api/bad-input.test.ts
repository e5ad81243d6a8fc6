// Bad input and refusals across resources: every 4xx in Neutron's format, never a 500, and nothing changed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from './test-network.ts';
import type { Reply, TestNetwork } from './test-network.ts';

const neutronError = (r: Reply, status: number, what: string) => {
  assert.equal(r.status, status, `${what} → ${r.status} ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body.NeutronError).sort(), ['detail', 'message', 'type'], what);
  assert.equal(typeof r.body.NeutronError.message, 'string');
};

describe('network API: bad input', () => {
  let n: TestNetwork;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let net: any;
  before(async () => {
    n = await startNetwork({ max_fixed_ips_per_port: 2 });
    net = await n.create(n.as.alice, 'networks', 'network', { name: 'bad-input' });
    await n.create(n.as.alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.40.0.0/24' });
  });
  after(async () => { await n?.close(); });

  it('answers a missing or bad token with 401 naming Identity', async () => {
    const r = await n.call('GET', '/v2.0/networks');
    neutronError(r, 401, 'no token');
    assert.match(r.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    neutronError(await n.call('GET', '/v2.0/ports', { token: 'garbage' }), 401, 'bad token');
  });

  it('refuses malformed and unexpected bodies with 400 and creates nothing', async () => {
    const cases: [string, unknown][] = [
      ['/v2.0/networks', { network: { name: 'x', colour: 'red' } }],
      ['/v2.0/networks', { network: { admin_state_up: 'yes' } }],
      ['/v2.0/networks', { network: { mtu: 10 } }],
      ['/v2.0/networks', { networks: {} }],
      ['/v2.0/networks', []],
      ['/v2.0/networks', { network: { name: 'n'.repeat(256) } }],
      ['/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 5, cidr: '10.0.0.0/24' } }],
      ['/v2.0/ports', { port: { network_id: net.id, fixed_ips: 'all' } }],
      ['/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{}, {}, {}] } }],
      ['/v2.0/ports', { port: { network_id: net.id, 'binding:vnic_type': 'warp' } }],
      ['/v2.0/ports', { port: { network_id: net.id, allowed_address_pairs: [{ ip_address: 'nope' }] } }],
      ['/v2.0/ports', { port: { network_id: net.id, device_owner: 'network:router_interface' } }],
      ['/v2.0/routers', { router: { external_gateway_info: { network_id: net.id, colour: 1 } } }],
      ['/v2.0/floatingips', { floatingip: {} }],
      ['/v2.0/security-groups', { security_group: { name: 3 } }],
    ];
    for (const [path, body] of cases) neutronError(await n.call('POST', path, { token: n.as.alice.token, body }), 400, `${path} ${JSON.stringify(body)}`);
    neutronError(await n.call('POST', '/v2.0/networks', { token: n.as.alice.token, raw: '{"network": ' }), 400, 'malformed JSON');
    neutronError(await n.call('PUT', `/v2.0/networks/${net.id}`, { token: n.as.alice.token, body: { network: { 'provider:network_type': 'flat' } } }), 403, 'provider update');
    neutronError(await n.call('PUT', `/v2.0/networks/${net.id}`, { token: n.as.alice.token, body: { network: { name: 'x' } }, headers: { 'if-match': 'revision_number=abc' } }), 400, 'bad If-Match');
    for (const bad of [{ 'provider:network_type': 'vlan', 'provider:physical_network': 'p' }, { 'provider:network_type': 'flat' }, { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 1 << 25 }, { 'provider:segmentation_id': 5 }]) {
      neutronError(await n.call('POST', '/v2.0/networks', { token: n.as.admin.token, body: { network: bad } }), 400, JSON.stringify(bad));
    }
    const nets = (await n.call('GET', '/v2.0/networks', { token: n.as.admin.token })).body.networks;
    assert.deepEqual(nets.map((x: { id: string }) => x.id), [net.id]);
    assert.equal((await n.call('GET', '/v2.0/ports', { token: n.as.admin.token })).body.ports.length, 0);
    assert.equal((await n.call('GET', `/v2.0/networks/${net.id}`, { token: n.as.alice.token })).body.network.name, 'bad-input');
  });

  it('hides other projects\' resources behind 404s and keeps readers read-only', async () => {
    const port = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id });
    const sg = (await n.call('GET', '/v2.0/security-groups', { token: n.as.alice.token })).body.security_groups[0];
    const router = await n.create(n.as.alice, 'routers', 'router', { name: 'hidden' });
    const paths = [`/v2.0/networks/${net.id}`, `/v2.0/ports/${port.id}`, `/v2.0/security-groups/${sg.id}`, `/v2.0/routers/${router.id}`, `/v2.0/networks/${net.id}/tags`];
    for (const p of paths) {
      neutronError(await n.call('GET', p, { token: n.as.bob.token }), 404, `bob GET ${p}`);
      assert.equal((await n.call('GET', p, { token: n.as.rita.token })).status, 200, `rita GET ${p}`);
      neutronError(await n.call('DELETE', p, { token: n.as.bob.token }), 404, `bob DELETE ${p}`);
      neutronError(await n.call('DELETE', p, { token: n.as.rita.token }), 403, `rita DELETE ${p}`);
    }
    neutronError(await n.call('POST', '/v2.0/ports', { token: n.as.bob.token, body: { port: { network_id: net.id } } }), 404, 'port on a hidden network');
    neutronError(await n.call('POST', '/v2.0/networks', { token: n.as.rita.token, body: { network: { name: 'r' } } }), 403, 'reader create');
    for (const kind of ['networks', 'subnets', 'ports', 'routers', 'floatingips', 'security-groups', 'security-group-rules']) {
      const r = await n.call('GET', `/v2.0/${kind}/00000000-0000-0000-0000-000000000000`, { token: n.as.admin.token });
      neutronError(r, 404, kind);
      assert.match(r.body.NeutronError.type, /NotFound$/);
    }
    neutronError(await n.call('GET', '/v2.0/nothing-here', { token: n.as.admin.token }), 404, 'unknown path');
    assert.equal((await n.call('GET', `/v2.0/ports/${port.id}`, { token: n.as.alice.token })).status, 200, 'still there');
  });

  it('caps fixed IPs per port', async () => {
    const r = await n.call('POST', '/v2.0/ports', { token: n.as.alice.token, body: { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.40.0.5' }, { ip_address: '10.40.0.6' }, { ip_address: '10.40.0.7' }] } } });
    neutronError(r, 400, 'three fixed IPs');
    assert.match(r.body.NeutronError.message, /Exceeded maximum amount of fixed ips per port/);
  });
});
