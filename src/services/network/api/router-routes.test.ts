// Extra routes through the API (extraroute, extraroute-atomic): routes replaced by a router update, added and removed
// in place, sent to the L3 agent; Neutron's refusals (nexthop off the router's subnets or one of its own addresses,
// malformed or duplicate routes, more than max_routes) change nothing; a leg a route needs stays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from './test-network.ts';
import type { TestNetwork } from './test-network.ts';
import { networkServerRpc } from '../rpc/agent-rpc.ts';

describe('network API: extra routes', () => {
  let n: TestNetwork;
  before(async () => { n = await startNetwork({ max_routes: 3 }); });
  after(async () => { await n?.close(); });

  it('replaces, adds and removes routes whose nexthops sit on the router\'s subnets, and tells the L3 agent', async () => {
    const alice = n.as.alice;
    const token = alice.token;
    const net = await n.create(alice, 'networks', 'network', { name: 'transit' });
    const subnet = await n.create(alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.60.0.0/24' });
    const r = await n.create(alice, 'routers', 'router', { name: 'r' });
    assert.deepEqual(r.routes, []);
    const put = (routes: unknown) => n.call('PUT', `/v2.0/routers/${r.id}`, { token, body: { router: { routes } } });
    const atomic = (action: 'add' | 'remove', routes: unknown) => n.call('PUT', `/v2.0/routers/${r.id}/${action}_extraroutes`, { token, body: { router: { routes } } });
    const routesNow = async () => (await n.call('GET', `/v2.0/routers/${r.id}`, { token })).body.router.routes;

    const offLink = await put([{ destination: '192.168.50.0/24', nexthop: '10.60.0.10' }]);
    assert.equal(offLink.status, 400, 'no leg on 10.60.0.0/24 yet');
    assert.equal(offLink.body.NeutronError.type, 'InvalidRoutes');
    assert.match(offLink.body.NeutronError.message, /the nexthop is not connected with router/);

    await n.call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { token, body: { subnet_id: subnet.id } });
    const set = await put([{ destination: '192.168.50.0/24', nexthop: '10.60.0.10' }, { destination: '192.168.51.0/24', nexthop: '10.60.0.11' }]);
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body.router.routes, [
      { destination: '192.168.50.0/24', nexthop: '10.60.0.10' }, { destination: '192.168.51.0/24', nexthop: '10.60.0.11' },
    ]);

    const added = await atomic('add', [{ destination: '192.168.52.0/24', nexthop: '10.60.0.12' }, { destination: '192.168.50.0/24', nexthop: '10.60.0.10' }]);
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(added.body.router.id, r.id);
    assert.equal(added.body.router.routes.length, 3, 'a route already there is not added twice');
    const removed = await atomic('remove', [{ destination: '192.168.51.0/24', nexthop: '10.60.0.11' }, { destination: '10.99.0.0/16', nexthop: '10.60.0.99' }]);
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.router.routes.map((x: { destination: string }) => x.destination), ['192.168.50.0/24', '192.168.52.0/24']);

    // As an L3 agent on host h: register, resync (the router is scheduled here), fetch the router.
    const server = networkServerRpc.client(n.bus);
    const ctx = { requestId: 'req-rt', globalRequestId: 'req-rt' };
    await server.call('report_state', { host: 'h', start: true, agents: [{ agentType: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent', availabilityZone: 'nova', configurations: {} }] }, ctx);
    assert.deepEqual(await server.call('list_routers', { host: 'h' }, ctx), [r.id]);
    const info = await server.call('get_router', { routerId: r.id, host: 'h' }, ctx);
    assert.deepEqual(info?.routes, removed.body.router.routes, 'the L3 agent is given the routes');

    // Refusals change nothing.
    const refusals: [unknown, number, RegExp][] = [
      [[{ destination: '192.168.60.0/24', nexthop: '10.60.0.1' }], 400, /the nexthop is used by router/],
      [[{ destination: 'nonsense', nexthop: '10.60.0.10' }], 400, /Invalid data format for hostroute/],
      [[{ destination: '2001:db8::/64', nexthop: '10.60.0.10' }], 400, /Invalid data format for hostroute/],
      [[{ destination: '192.168.61.0/24', nexthop: '10.60.0.10' }, { destination: '192.168.61.0/24', nexthop: '10.60.0.10' }], 400, /Duplicate hostroute/],
      [['1', '2', '3', '4'].map((i) => ({ destination: `192.168.7${i}.0/24`, nexthop: '10.60.0.10' })), 400, /exceeds the maximum 3/],
    ];
    for (const [routes, status, message] of refusals) {
      const res = await put(routes);
      assert.equal(res.status, status, JSON.stringify(routes));
      assert.match(res.body.NeutronError.message, message);
    }
    const tooMany = await atomic('add', [{ destination: '192.168.80.0/24', nexthop: '10.60.0.10' }, { destination: '192.168.81.0/24', nexthop: '10.60.0.10' }]);
    assert.equal(tooMany.body.NeutronError?.type, 'RoutesExhausted');
    assert.equal((await n.call('PUT', `/v2.0/routers/${r.id}`, { token: n.as.bob.token, body: { router: { routes: [] } } })).status, 404, 'another project\'s router');
    assert.equal((await atomic('add', 'not a list')).status, 400);
    assert.deepEqual(await routesNow(), removed.body.router.routes);

    // The leg the routes need stays until they go; then the router can be emptied and deleted.
    const busy = await n.call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { token, body: { subnet_id: subnet.id } });
    assert.equal(busy.status, 409);
    assert.equal(busy.body.NeutronError.type, 'RouterInterfaceInUseByRoute');
    assert.equal((await put([])).body.router.routes.length, 0);
    assert.equal((await n.call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { token, body: { subnet_id: subnet.id } })).status, 200);
    assert.equal((await n.call('DELETE', `/v2.0/routers/${r.id}`, { token })).status, 204);
  });

  it('lists the extraroute extensions', async () => {
    for (const alias of ['extraroute', 'extraroute-atomic']) {
      assert.equal((await n.call('GET', `/v2.0/extensions/${alias}`, { token: n.as.alice.token })).status, 200);
    }
  });
});
