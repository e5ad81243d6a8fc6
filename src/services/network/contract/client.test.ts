// The typed client against the real API: what Compute does with a server's port, as a user plus the service token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from '../api/test-network.ts';
import type { TestNetwork } from '../api/test-network.ts';
import { NetworkRequestError, createNetworkClient, isNetworkNotFound } from './client.ts';

describe('network contract client', () => {
  let n: TestNetwork;
  before(async () => { n = await startNetwork(); });
  after(async () => { await n?.close(); });

  it('creates, binds, lists and deletes a port as Compute does', async () => {
    const user = createNetworkClient({ endpoint: n.url, token: async () => n.as.alice.token, serviceToken: async () => n.as.admin.token });
    const admin = createNetworkClient({ endpoint: `${n.url}/`, token: async () => n.as.admin.token });
    const net = await n.create(n.as.alice, 'networks', 'network', { name: 'client-net' });
    const sub = await n.create(n.as.alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.30.0.0/24' });
    assert.equal((await user.getNetwork(net.id))!.name, 'client-net');
    assert.deepEqual((await user.listNetworks({ name: ['client-net', 'other'] })).map((x) => x.id), [net.id]);
    assert.equal((await user.getSubnet(sub.id))!.cidr, '10.30.0.0/24');
    assert.equal(await user.getNetwork('missing'), undefined);

    const port = await user.createPort({ network_id: net.id, device_id: 'server-1', device_owner: 'compute:nova' });
    assert.equal(port.status, 'DOWN');
    const bound = await admin.updatePort(port.id, { 'binding:host_id': 'node1' }, { revisionNumber: port.revision_number });
    assert.equal(bound['binding:vif_type'], 'bridge');
    assert.equal(bound.status, 'ACTIVE');
    assert.deepEqual((await user.listPorts({ device_id: 'server-1' })).map((p) => p.id), [port.id]);
    await assert.rejects(admin.updatePort(port.id, { name: 'x' }, { revisionNumber: 1 }), (err: unknown) =>
      err instanceof NetworkRequestError && err.status === 412 && err.code === 'RevisionNumberConstraintFailed');
    await assert.rejects(user.createPort({ network_id: 'nope' }), (err: unknown) => isNetworkNotFound(err) && (err as NetworkRequestError).code === 'NetworkNotFound');
    assert.equal(await user.deletePort(port.id), true);
    assert.equal(await user.deletePort(port.id), false);
    assert.equal(await user.getPort(port.id), undefined);
  });

  it('lets a service with its own token see and bind a user\'s port, but not set admin-only network attributes', async () => {
    const serviceToken = await n.serviceToken();
    const user = createNetworkClient({ endpoint: n.url, token: async () => n.as.bob.token, serviceToken: async () => serviceToken });
    const service = createNetworkClient({ endpoint: n.url, token: async () => serviceToken });
    const net = await n.create(n.as.bob, 'networks', 'network', { name: 'svc-net' });
    await n.create(n.as.bob, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.31.0.0/24' });
    const port = await user.createPort({ network_id: net.id, device_id: 'server-2', device_owner: 'compute:nova' });
    assert.deepEqual((await service.listNetworks({ id: net.id })).map((x) => x.id), [net.id]);
    const bound = await service.updatePort(port.id, { 'binding:host_id': 'node2', 'binding:profile': {} });
    assert.equal(bound['binding:host_id'], 'node2');
    assert.equal((await user.getPort(port.id))!['binding:host_id'], undefined, 'binding details stay hidden from the user');
    const shared = await n.call('POST', '/v2.0/networks', { token: serviceToken, body: { network: { name: 'x', shared: true } } });
    assert.equal(shared.status, 403);
  });
});
