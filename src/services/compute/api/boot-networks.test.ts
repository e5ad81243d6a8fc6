// The boot flow with Networking: the agent creates the server's port with the user's token and binds it to its host;
// the server shows the port's address; "auto" picks the project's one network; deleting the server deletes the port
// it created and unbinds a port the user brought.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

const V = '2.60';

describe('boot flow with networks', () => {
  let c: TestCompute;
  let networkId: string;
  const neutron = (method: string, path: string, token: string, body?: unknown) => c.neutron(method, path, token, body);
  before(async () => {
    c = await startCompute({}, { hosts: ['host-a'] });
    networkId = (await neutron('POST', '/networks', c.as.alice.token, { network: { name: 'private' } })).body.network.id;
    await neutron('POST', '/subnets', c.as.alice.token, { subnet: { network_id: networkId, cidr: '10.0.0.0/24', ip_version: 4 } });
  });
  after(async () => { await c?.close(); });

  const boot = (token: string, networks: unknown, version = V) => c.call('POST', '/v2.1/servers', {
    token, version, body: { server: { name: 'net-vm', imageRef: c.imageId, flavorRef: '1', ...(networks === undefined ? {} : { networks }) } },
  });

  it('creates and binds a port on the requested network, shows its address, and deletes it with the server', async () => {
    const res = await boot(c.as.alice.token, [{ uuid: networkId }]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const server = await c.waitForServer(res.body.server.id, c.as.alice.token, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR');
    assert.equal(server.status, 'ACTIVE', JSON.stringify(server.fault));
    const [addr] = server.addresses.private;
    assert.match(addr.addr, /^10\.0\.0\.\d+$/);
    assert.equal(addr.version, 4);
    const ports = (await neutron('GET', `/ports?device_id=${server.id}`, c.as.admin.token)).body.ports;
    assert.equal(ports.length, 1);
    assert.equal(ports[0]['binding:host_id'], 'host-a');
    assert.equal(ports[0].project_id, c.as.alice.projectId);
    assert.equal(ports[0].mac_address, addr['OS-EXT-IPS-MAC:mac_addr']);
    const guest = (c.drivers['host-a'] as unknown as { guest(id: string): { nics: { portId: string }[] } }).guest(server.id);
    assert.deepEqual(guest.nics.map((n) => n.portId), [ports[0].id]);
    await c.call('DELETE', `/v2.1/servers/${server.id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(server.id, c.as.alice.token, (s) => s === undefined);
    assert.deepEqual((await neutron('GET', `/ports?device_id=${server.id}`, c.as.admin.token)).body.ports, []);
  });

  it('uses the one network with "auto" and with no networks before 2.37, and unbinds a user\'s port on delete', async () => {
    const auto = await boot(c.as.alice.token, 'auto');
    const s1 = await c.waitForServer(auto.body.server.id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.deepEqual(Object.keys(s1.addresses), ['private']);
    const legacy = await boot(c.as.alice.token, undefined, '2.1');
    assert.equal(legacy.status, 202);
    const s2 = await c.waitForServer(legacy.body.server.id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.deepEqual(Object.keys(s2.addresses), ['private']);

    const port = (await neutron('POST', '/ports', c.as.alice.token, { port: { network_id: networkId, name: 'mine' } })).body.port;
    const withPort = await boot(c.as.alice.token, [{ port: port.id }]);
    const s3 = await c.waitForServer(withPort.body.server.id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.equal(s3.addresses.private[0].addr, port.fixed_ips[0].ip_address);
    const taken = await boot(c.as.alice.token, [{ port: port.id }]);
    assert.equal(taken.status, 409);
    assert.match(taken.body.conflictingRequest.message, /still in use/);
    for (const s of [s1, s2, s3]) await c.call('DELETE', `/v2.1/servers/${s.id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(s3.id, c.as.alice.token, (s) => s === undefined);
    const after = (await neutron('GET', `/ports/${port.id}`, c.as.admin.token)).body.port;
    assert.equal(after.device_id, '');
    assert.equal(after['binding:host_id'], '');
  });

  it('refuses networks that do not exist or are ambiguous, and bob cannot use alice\'s network', async () => {
    const missing = await boot(c.as.alice.token, [{ uuid: '00000000-0000-0000-0000-000000000000' }]);
    assert.equal(missing.status, 400);
    assert.match(missing.body.badRequest.message, /Network 0+-.* could not be found/);
    assert.equal((await boot(c.as.bob.token, [{ uuid: networkId }])).status, 400);
    const bobAuto = await boot(c.as.bob.token, 'auto');
    assert.equal(bobAuto.status, 400);
    assert.match(bobAuto.body.badRequest.message, /Unable to automatically allocate a network/);
    const second = (await neutron('POST', '/networks', c.as.alice.token, { network: { name: 'second' } })).body.network.id;
    const ambiguous = await boot(c.as.alice.token, 'auto');
    assert.equal(ambiguous.status, 409);
    assert.match(ambiguous.body.conflictingRequest.message, /Multiple possible networks found/);
    await neutron('DELETE', `/networks/${second}`, c.as.alice.token);
  });
});
