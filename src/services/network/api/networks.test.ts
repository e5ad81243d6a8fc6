// Networks and subnets through the API: version discovery, extensions, visibility of shared and external networks,
// admin-only provider attributes with a VNI from the database, list semantics, revisions and Neutron's errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from './test-network.ts';
import type { TestNetwork } from './test-network.ts';

describe('network API: networks and subnets', () => {
  let n: TestNetwork;
  before(async () => { n = await startNetwork({ vni_ranges: '100:109' }); });
  after(async () => { await n?.close(); });

  it('serves version discovery and lists only the extensions it implements', async () => {
    const root = await n.call('GET', '/');
    assert.equal(root.status, 200);
    assert.equal(root.body.versions[0].id, 'v2.0');
    assert.match(root.body.versions[0].links[0].href, /\/v2\.0\/$/);
    const ext = await n.call('GET', '/v2.0/extensions', { token: n.as.alice.token });
    const aliases = ext.body.extensions.map((e: { alias: string }) => e.alias);
    for (const a of ['router', 'external-net', 'provider', 'binding', 'security-group', 'quotas', 'standard-attr-tag', 'revision-if-match']) assert.ok(aliases.includes(a), a);
    assert.ok(!aliases.includes('dvr') && !aliases.includes('l3-ha'));
    assert.equal((await n.call('GET', '/v2.0/extensions/dvr', { token: n.as.alice.token })).status, 404);
  });

  it('creates a network with a VNI from the range, hiding provider attributes from members', async () => {
    const net = await n.create(n.as.alice, 'networks', 'network', { name: 'alice-net' });
    assert.equal(net.status, 'ACTIVE');
    assert.equal(net.mtu, 1450);
    assert.equal(net.project_id, n.as.alice.projectId);
    assert.equal(net.revision_number, 1);
    assert.equal(net['provider:network_type'], undefined);
    assert.match(net.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const asAdmin = (await n.call('GET', `/v2.0/networks/${net.id}`, { token: n.as.admin.token })).body.network;
    assert.equal(asAdmin['provider:network_type'], 'vxlan');
    assert.ok(asAdmin['provider:segmentation_id'] >= 100 && asAdmin['provider:segmentation_id'] <= 109);
    assert.equal((await n.call('GET', `/v2.0/networks/${net.id}`, { token: n.as.bob.token })).body.NeutronError.type, 'NetworkNotFound');
    assert.equal((await n.call('GET', `/v2.0/networks/${net.id}`, { token: n.as.rita.token })).status, 200);
  });

  it('never gives one VNI to two networks and says so when the range is full', async () => {
    const held = (await n.call('GET', '/v2.0/networks?provider:network_type=vxlan', { token: n.as.admin.token })).body.networks.length;
    const made = await Promise.all(Array.from({ length: 10 - held + 1 }, (_, i) => n.call('POST', '/v2.0/networks', { token: n.as.admin.token, body: { network: { name: `vni-${i}` } } })));
    const ok = made.filter((r) => r.status === 201);
    assert.equal(ok.length, 10 - held, JSON.stringify(made.map((r) => r.body)));
    const full = made.find((r) => r.status !== 201)!;
    assert.equal(full.body.NeutronError.type, 'NoNetworkAvailable');
    const vnis = (await n.call('GET', '/v2.0/networks?fields=provider:segmentation_id', { token: n.as.admin.token })).body.networks.map((x: Record<string, number>) => x['provider:segmentation_id']);
    assert.equal(new Set(vnis).size, vnis.length);
    const clash = await n.call('POST', '/v2.0/networks', { token: n.as.admin.token, body: { network: { 'provider:network_type': 'vxlan', 'provider:segmentation_id': vnis[0] } } });
    assert.equal(clash.status, 409);
    for (const r of ok) await n.call('DELETE', `/v2.0/networks/${r.body.network.id}`, { token: n.as.admin.token });
  });

  it('shows shared and external networks to every project, and refuses those attributes to members', async () => {
    const denied = await n.call('POST', '/v2.0/networks', { token: n.as.alice.token, body: { network: { name: 'x', shared: true } } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.NeutronError.type, 'PolicyNotAuthorized');
    const shared = await n.create(n.as.admin, 'networks', 'network', { name: 'shared-net', shared: true });
    const ext = await n.create(n.as.admin, 'networks', 'network', { name: 'ext-net', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' });
    assert.equal(ext.mtu, 1500);
    const seen = (await n.call('GET', '/v2.0/networks', { token: n.as.bob.token })).body.networks.map((x: { name: string }) => x.name).sort();
    assert.deepEqual(seen, ['ext-net', 'shared-net']);
    const external = (await n.call('GET', '/v2.0/networks?router:external=true', { token: n.as.bob.token })).body.networks;
    assert.deepEqual(external.map((x: { id: string }) => x.id), [ext.id]);
    assert.equal((await n.call('PUT', `/v2.0/networks/${shared.id}`, { token: n.as.bob.token, body: { network: { name: 'mine' } } })).status, 403);
  });

  it('filters with OR on repeated parameters, sorts, pages with next links and selects fields', async () => {
    for (const name of ['p1', 'p2', 'p3']) await n.create(n.as.bob, 'networks', 'network', { name, 'admin_state_up': name !== 'p2' });
    const or = (await n.call('GET', '/v2.0/networks?name=p1&name=p3', { token: n.as.bob.token })).body.networks.map((x: { name: string }) => x.name).sort();
    assert.deepEqual(or, ['p1', 'p3']);
    const down = (await n.call('GET', '/v2.0/networks?admin_state_up=False', { token: n.as.bob.token })).body.networks;
    assert.deepEqual(down.map((x: { name: string }) => x.name), ['p2']);
    const sorted = (await n.call('GET', '/v2.0/networks?sort_key=name&sort_dir=desc&fields=name&fields=id', { token: n.as.bob.token })).body.networks;
    assert.deepEqual(sorted.map((x: { name: string }) => x.name), ['shared-net', 'p3', 'p2', 'p1', 'ext-net']);
    assert.deepEqual(Object.keys(sorted[0]).sort(), ['id', 'name']);
    const page1 = (await n.call('GET', '/v2.0/networks?sort_key=name&sort_dir=asc&limit=2', { token: n.as.bob.token })).body;
    assert.deepEqual(page1.networks.map((x: { name: string }) => x.name), ['ext-net', 'p1']);
    const next = new URL(page1.networks_links.find((l: { rel: string }) => l.rel === 'next').href);
    const page2 = (await n.call('GET', `${next.pathname}${next.search}`, { token: n.as.bob.token })).body;
    assert.deepEqual(page2.networks.map((x: { name: string }) => x.name), ['p2', 'p3']);
    const prev = new URL(page2.networks_links.find((l: { rel: string }) => l.rel === 'previous').href);
    const back = (await n.call('GET', `${prev.pathname}${prev.search}`, { token: n.as.bob.token })).body;
    assert.deepEqual(back.networks.map((x: { name: string }) => x.name), ['ext-net', 'p1'], 'page_reverse walks back from the marker');
    for (const q of ['colour=red', 'sort_key=colour', 'sort_dir=up&sort_key=name', 'limit=-1', 'marker=nope']) {
      const r = await n.call('GET', `/v2.0/networks?${q}`, { token: n.as.bob.token });
      assert.equal(r.status, 400, q);
      assert.equal(r.body.NeutronError.type, 'HTTPBadRequest');
    }
  });

  it('bumps revision_number on updates and enforces If-Match', async () => {
    const net = await n.create(n.as.alice, 'networks', 'network', { name: 'rev' });
    const up = await n.call('PUT', `/v2.0/networks/${net.id}`, { token: n.as.alice.token, body: { network: { name: 'rev2' } }, headers: { 'if-match': 'revision_number=1' } });
    assert.equal(up.status, 200);
    assert.equal(up.body.network.revision_number, 2);
    const stale = await n.call('PUT', `/v2.0/networks/${net.id}`, { token: n.as.alice.token, body: { network: { name: 'rev3' } }, headers: { 'if-match': 'revision_number=1' } });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.NeutronError.type, 'RevisionNumberConstraintFailed');
    assert.equal((await n.call('GET', `/v2.0/networks/${net.id}`, { token: n.as.alice.token })).body.network.name, 'rev2');
    assert.equal((await n.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.as.alice.token, headers: { 'if-match': 'revision_number=9' } })).status, 412);
    assert.equal((await n.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.as.rita.token })).status, 403);
    assert.equal((await n.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.as.alice.token })).status, 204);
    assert.equal((await n.call('GET', `/v2.0/networks/${net.id}`, { token: n.as.alice.token })).status, 404);
  });

  it('creates IPv4 and IPv6 subnets with default pools and gateway, refusing overlaps and bad ranges', async () => {
    const net = await n.create(n.as.alice, 'networks', 'network', { name: 'subnets' });
    const v4 = await n.create(n.as.alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.1.0.0/24', dns_nameservers: ['8.8.8.8'], host_routes: [{ destination: '10.9.0.0/16', nexthop: '10.1.0.254' }] });
    assert.equal(v4.gateway_ip, '10.1.0.1');
    assert.deepEqual(v4.allocation_pools, [{ start: '10.1.0.2', end: '10.1.0.254' }]);
    assert.equal(v4.enable_dhcp, true);
    const v6 = await n.create(n.as.alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 6, cidr: '2001:DB8::/64', gateway_ip: null, enable_dhcp: false });
    assert.equal(v6.cidr, '2001:db8::/64');
    assert.equal(v6.gateway_ip, null);
    const shown = (await n.call('GET', `/v2.0/networks/${net.id}`, { token: n.as.alice.token })).body.network;
    assert.deepEqual([...shown.subnets].sort(), [v4.id, v6.id].sort());
    assert.equal(shown.revision_number, 3);
    const bad: [Record<string, unknown>, number, string][] = [
      [{ cidr: '10.1.0.128/25' }, 400, 'overlaps'],
      [{ cidr: '10.2.0.1/24' }, 400, 'recommended CIDR'],
      [{ cidr: 'banana' }, 400, 'not a valid IP subnet'],
      [{ cidr: '10.3.0.0/24', ip_version: 6 }, 400, 'not compatible'],
      [{ cidr: '10.4.0.0/24', gateway_ip: '10.5.0.1' }, 400, 'Gateway is not valid'],
      [{ cidr: '10.4.0.0/24', allocation_pools: [{ start: '10.4.0.1', end: '10.4.0.20' }] }, 409, 'conflicts with allocation pool'],
      [{ cidr: '10.4.0.0/24', allocation_pools: [{ start: '10.4.1.1', end: '10.4.1.20' }] }, 400, 'spans beyond'],
      [{ cidr: '10.4.0.0/24', dns_nameservers: ['nope'] }, 400, 'nameserver'],
      [{ cidr: '10.4.0.0/24', colour: 'red' }, 400, 'colour'],
    ];
    for (const [body, status, why] of bad) {
      const r = await n.call('POST', '/v2.0/subnets', { token: n.as.alice.token, body: { subnet: { network_id: net.id, ip_version: 4, ...body } } });
      assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
      assert.match(r.body.NeutronError.message, new RegExp(why));
    }
    assert.equal((await n.call('GET', `/v2.0/subnets?network_id=${net.id}`, { token: n.as.alice.token })).body.subnets.length, 2);
    const other = await n.call('POST', '/v2.0/subnets', { token: n.as.bob.token, body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.8.0.0/24' } } });
    assert.equal(other.body.NeutronError.type, 'NetworkNotFound');
  });

  it('updates a subnet\'s pools, gateway and DNS without stranding allocated addresses', async () => {
    const net = await n.create(n.as.alice, 'networks', 'network', { name: 'subnet-update' });
    const sub = await n.create(n.as.alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.70.0.0/24' });
    const port = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id });
    assert.equal(port.fixed_ips[0].ip_address, '10.70.0.2');
    const put = (subnet: Record<string, unknown>) => n.call('PUT', `/v2.0/subnets/${sub.id}`, { token: n.as.alice.token, body: { subnet } });
    const stranded = await put({ allocation_pools: [{ start: '10.70.0.100', end: '10.70.0.200' }] });
    assert.equal(stranded.status, 400);
    assert.match(stranded.body.NeutronError.message, /10\.70\.0\.2/);
    assert.equal((await put({ gateway_ip: '10.70.0.2' })).status, 409, 'the new gateway sits in the pool');
    const ok = await put({ gateway_ip: '10.70.0.254', allocation_pools: [{ start: '10.70.0.2', end: '10.70.0.99' }], dns_nameservers: ['1.1.1.1'], name: 'renamed' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual([ok.body.subnet.gateway_ip, ok.body.subnet.allocation_pools, ok.body.subnet.dns_nameservers, ok.body.subnet.revision_number],
      ['10.70.0.254', [{ start: '10.70.0.2', end: '10.70.0.99' }], ['1.1.1.1'], 2]);
    assert.equal((await n.call('DELETE', `/v2.0/subnets/${sub.id}`, { token: n.as.alice.token })).body.NeutronError.type, 'SubnetInUse');
    await n.call('DELETE', `/v2.0/ports/${port.id}`, { token: n.as.alice.token });
    assert.equal((await n.call('DELETE', `/v2.0/subnets/${sub.id}`, { token: n.as.alice.token })).status, 204);
    assert.deepEqual((await n.call('GET', `/v2.0/networks/${net.id}`, { token: n.as.alice.token })).body.network.subnets, []);
  });
});
