// Stateless security groups through the API (extension stateful-security-group): `stateful` on create, update and
// show; a group in use keeps its kind; a port never mixes stateful and stateless groups; the agents learn which
// groups are stateless from security_group_info.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from './test-network.ts';
import type { TestNetwork } from './test-network.ts';
import { networkServerRpc } from '../rpc/agent-rpc.ts';

describe('network API: stateless security groups', () => {
  let n: TestNetwork;
  before(async () => { n = await startNetwork(); });
  after(async () => { await n?.close(); });

  it('lists the stateful-security-group extension', async () => {
    const res = await n.call('GET', '/v2.0/extensions/stateful-security-group', { token: n.as.alice.token });
    assert.equal(res.status, 200);
  });

  it('creates, shows and switches a group\'s kind while no port uses it, and refuses to once one does', async () => {
    const alice = n.as.alice;
    const sg = await n.create(alice, 'security-groups', 'security_group', { name: 'fast', stateful: false });
    assert.equal(sg.stateful, false);
    assert.equal(sg.security_group_rules.length, 2, 'a stateless group starts with the same egress rules');
    const flip = await n.call('PUT', `/v2.0/security-groups/${sg.id}`, { token: alice.token, body: { security_group: { stateful: true } } });
    assert.equal(flip.status, 200);
    assert.equal(flip.body.security_group.stateful, true);
    assert.equal((await n.call('PUT', `/v2.0/security-groups/${sg.id}`, { token: alice.token, body: { security_group: { stateful: false } } })).status, 200);

    const net = await n.create(alice, 'networks', 'network', { name: 'sl' });
    await n.create(alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.77.0.0/24' });
    const port = await n.create(alice, 'ports', 'port', { network_id: net.id, security_groups: [sg.id] });
    const inUse = await n.call('PUT', `/v2.0/security-groups/${sg.id}`, { token: alice.token, body: { security_group: { stateful: true } } });
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.NeutronError.type, 'SecurityGroupInUse');
    const shown = await n.call('GET', `/v2.0/security-groups/${sg.id}`, { token: alice.token });
    assert.equal(shown.body.security_group.stateful, false, 'the refused update changed nothing');
    assert.equal(shown.body.security_group.revision_number, flip.body.security_group.revision_number + 1);
    // Other attributes, and the same kind again, stay editable.
    const renamed = await n.call('PUT', `/v2.0/security-groups/${sg.id}`, { token: alice.token, body: { security_group: { name: 'faster', stateful: false } } });
    assert.equal(renamed.status, 200);

    const info = await networkServerRpc.client(n.bus).call('security_group_info', { securityGroupIds: [sg.id, port.security_groups[0]], host: 'h' }, { requestId: 'req-sl', globalRequestId: 'req-sl' });
    assert.deepEqual(info.stateless, [sg.id]);
  });

  it('refuses a port with both stateful and stateless groups, on create and on update', async () => {
    const alice = n.as.alice;
    const stateless = await n.create(alice, 'security-groups', 'security_group', { name: 'nc', stateful: false });
    const stateful = await n.create(alice, 'security-groups', 'security_group', { name: 'ct' });
    const net = await n.create(alice, 'networks', 'network', { name: 'mix' });
    await n.create(alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.78.0.0/24' });
    const mixed = await n.call('POST', '/v2.0/ports', { token: alice.token, body: { port: { network_id: net.id, security_groups: [stateless.id, stateful.id] } } });
    assert.equal(mixed.status, 409);
    assert.equal(mixed.body.NeutronError.type, 'SecurityGroupConflict');
    assert.match(mixed.body.NeutronError.message, /both stateful and stateless/);
    const ports = await n.call('GET', `/v2.0/ports?network_id=${net.id}`, { token: alice.token });
    assert.equal(ports.body.ports.length, 0, 'nothing was created');

    const port = await n.create(alice, 'ports', 'port', { network_id: net.id, security_groups: [stateless.id] });
    const update = await n.call('PUT', `/v2.0/ports/${port.id}`, { token: alice.token, body: { port: { security_groups: [stateless.id, stateful.id] } } });
    assert.equal(update.status, 409);
    const after = await n.call('GET', `/v2.0/ports/${port.id}`, { token: alice.token });
    assert.deepEqual(after.body.port.security_groups, [stateless.id]);
    assert.equal(after.body.port.revision_number, port.revision_number);
  });
});
