// os-interface with the whole boot flow in process (fake driver, real Networking): attach a network or a user's
// port and the guest gets the NIC, the server's addresses and Networking agree; detach deletes what compute created
// and only unbinds the user's port; bad input and wrong states change nothing; a failed plug leaves no port behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import { createFakeDriver } from '../roles.ts';
import type { FakeDriver } from '../agent/drivers/fake/fake-driver.ts';

const V = '2.60';

describe('os-interface', () => {
  let c: TestCompute;
  let privateNet: string;
  let otherNet: string;
  let serverId: string;
  const fake = createFakeDriver({ nodeName: 'host-a', vcpus: 8, memoryMb: 16384, localGb: 100 });
  let failNextPlug = false;
  // The fake hypervisor, but one plug can be made to fail as a hypervisor's would.
  const driver: FakeDriver = {
    ...fake,
    async attachInterface(opts) {
      if (failNextPlug) {
        failNextPlug = false;
        throw new Error('QMP device_add failed: no free PCI slot (GenericError)');
      }
      return fake.attachInterface!(opts);
    },
  };
  const neutron = (method: string, path: string, token: string, body?: unknown) => c.neutron(method, path, token, body);
  const network = async (name: string, cidr: string) => {
    const id = (await neutron('POST', '/networks', c.as.alice.token, { network: { name } })).body.network.id as string;
    await neutron('POST', '/subnets', c.as.alice.token, { subnet: { network_id: id, cidr, ip_version: 4 } });
    return id;
  };
  const attach = (body: unknown, opts: { token?: string; version?: string; server?: string } = {}) =>
    c.call('POST', `/v2.1/servers/${opts.server ?? serverId}/os-interface`, { token: opts.token ?? c.as.alice.token, version: opts.version ?? V, body });
  const detach = (portId: string, token = c.as.alice.token) => c.call('DELETE', `/v2.1/servers/${serverId}/os-interface/${portId}`, { token, version: V });
  const nics = () => driver.guest(serverId)!.nics.map((n) => n.portId);
  const server = async () => (await c.call('GET', `/v2.1/servers/${serverId}`, { token: c.as.alice.token, version: V })).body.server;
  const portsOf = async (id = serverId) => (await neutron('GET', `/ports?device_id=${id}`, c.as.admin.token)).body.ports as { id: string }[];
  /** Detach is a cast: wait until the server's network info no longer lists the port. */
  const detached = async (portId: string) => {
    await c.waitForServer(serverId, c.as.alice.token, (s) => !JSON.stringify(s?.addresses ?? {}).includes(portId) && !nics().includes(portId));
    const deadline = Date.now() + 10_000;
    while ((await server())['OS-EXT-STS:task_state'] !== null || (await portsOf()).some((p) => p.id === portId)) {
      if (Date.now() > deadline) throw new Error(`port ${portId} was not released`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    c = await startCompute({}, { hosts: ['host-a'], drivers: { 'host-a': driver } });
    privateNet = await network('private', '10.0.0.0/24');
    otherNet = await network('other', '10.9.0.0/24');
    const res = await c.call('POST', '/v2.1/servers', {
      token: c.as.alice.token, version: V, body: { server: { name: 'if-vm', imageRef: c.imageId, flavorRef: '1', networks: [{ uuid: privateNet }] } },
    });
    serverId = res.body.server.id;
    await c.waitForServer(serverId, c.as.alice.token, (s) => s?.status === 'ACTIVE');
  });
  after(async () => { await c?.close(); });

  it('attaches a network: a new port bound to the host, plugged into the guest, in the addresses, list and show', async () => {
    const res = await attach({ interfaceAttachment: { net_id: otherNet } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const a = res.body.interfaceAttachment;
    assert.deepEqual(Object.keys(a).sort(), ['fixed_ips', 'mac_addr', 'net_id', 'port_id', 'port_state']);
    assert.equal(a.net_id, otherNet);
    assert.equal(a.port_state, 'ACTIVE');
    assert.match(a.fixed_ips[0].ip_address, /^10\.9\.0\.\d+$/);
    const port = (await neutron('GET', `/ports/${a.port_id}`, c.as.admin.token)).body.port;
    assert.deepEqual([port.device_id, port.device_owner, port['binding:host_id'], port.project_id], [serverId, 'compute:nova', 'host-a', c.as.alice.projectId]);
    assert.equal(port.mac_address, a.mac_addr);
    assert.equal(nics().length, 2);
    assert.equal(nics()[1], a.port_id);
    const addresses = (await server()).addresses;
    assert.deepEqual(Object.keys(addresses).sort(), ['other', 'private']);
    assert.equal(addresses.other[0]['OS-EXT-IPS-MAC:mac_addr'], a.mac_addr);

    const list = await c.call('GET', `/v2.1/servers/${serverId}/os-interface`, { token: c.as.rita.token, version: V });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.interfaceAttachments.map((i: { net_id: string }) => i.net_id).sort(), [privateNet, otherNet].sort());
    const shown = await c.call('GET', `/v2.1/servers/${serverId}/os-interface/${a.port_id}`, { token: c.as.rita.token, version: V });
    assert.deepEqual(shown.body.interfaceAttachment, a);
    const actions = await c.call('GET', `/v2.1/servers/${serverId}/os-instance-actions`, { token: c.as.alice.token, version: V });
    assert.ok(actions.body.instanceActions.some((x: { action: string }) => x.action === 'attach_interface'));

    assert.equal((await detach(a.port_id)).status, 202);
    await detached(a.port_id);
    assert.equal((await neutron('GET', `/ports/${a.port_id}`, c.as.admin.token)).status, 404, 'the port compute created is deleted');
    assert.deepEqual(Object.keys((await server()).addresses), ['private']);
    assert.deepEqual(nics().length, 1);
  });

  it('attaches the user\'s port with a fixed address and a 2.49 tag, and detach keeps the port, unbound', async () => {
    const port = (await neutron('POST', '/ports', c.as.alice.token, { port: { network_id: otherNet, name: 'mine', fixed_ips: [{ ip_address: '10.9.0.50' }] } })).body.port;
    const res = await attach({ interfaceAttachment: { port_id: port.id, tag: 'db' } }, { version: '2.49' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.interfaceAttachment.port_id, port.id);
    assert.equal(res.body.interfaceAttachment.fixed_ips[0].ip_address, '10.9.0.50');
    assert.ok(nics().includes(port.id));
    assert.equal((await detach(port.id)).status, 202);
    await detached(port.id);
    const kept = (await neutron('GET', `/ports/${port.id}`, c.as.admin.token)).body.port;
    assert.deepEqual([kept.device_id, kept.device_owner, kept['binding:host_id']], ['', '', '']);
    await neutron('DELETE', `/ports/${port.id}`, c.as.alice.token);

    const fixed = await attach({ interfaceAttachment: { net_id: otherNet, fixed_ips: [{ ip_address: '10.9.0.77' }] } });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal(fixed.body.interfaceAttachment.fixed_ips[0].ip_address, '10.9.0.77');
    const taken = await attach({ interfaceAttachment: { net_id: otherNet, fixed_ips: [{ ip_address: '10.9.0.77' }] } });
    assert.equal(taken.status, 409);
    assert.match(taken.body.conflictingRequest.message, /10\.9\.0\.77 is already in use/);
    assert.equal((await portsOf()).length, 2, 'the refused attach left no port');
    await detach(fixed.body.interfaceAttachment.port_id);
    await detached(fixed.body.interfaceAttachment.port_id);
  });

  it('refuses bad input, missing or busy ports, other projects, readers, locked or busy servers — changing nothing', async () => {
    const before = (await portsOf()).map((p) => p.id);
    const missing = '00000000-0000-4000-8000-000000000000';
    const cases: [unknown, number, RegExp, string?][] = [
      [{ interfaceAttachment: { net_id: otherNet, port_id: before[0] } }, 400, /Must not input both/],
      [{ interfaceAttachment: { fixed_ips: [{ ip_address: '10.9.0.9' }] } }, 400, /Must input network_id/],
      [{ interfaceAttachment: { net_id: otherNet, fixed_ips: [{ ip_address: 'not-an-ip' }] } }, 400, /not an IP address/],
      [{ interfaceAttachment: { net_id: 'nope' } }, 400, /Invalid input for field\/attribute/],
      [{ interfaceAttachment: { net_id: otherNet, tag: 'x' } }, 400, /'tag' was unexpected/, '2.48'],
      [{ interfaceAttachment: { net_id: otherNet, tag: 'a/b' } }, 400, /Invalid input/, '2.49'],
      [{ interfaceAttachment: {}, extra: 1 }, 400, /'extra' was unexpected/],
      [{ interfaceAttachment: { port_id: missing } }, 404, /Port id 0+-.* could not be found/],
      [{ interfaceAttachment: { net_id: missing } }, 404, /Network 0+-.* could not be found/],
      [{ interfaceAttachment: { port_id: before[0] } }, 409, /still in use/],
      [{ interfaceAttachment: {} }, 400, /More than one possible network/],
    ];
    for (const [body, status, message, version] of cases) {
      const res = await attach(body, { version });
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
      assert.match(JSON.stringify(res.body), message);
    }
    assert.equal((await attach({ interfaceAttachment: { net_id: otherNet } }, { token: c.as.bob.token })).status, 404);
    assert.equal((await attach({ interfaceAttachment: { net_id: otherNet } }, { token: c.as.rita.token })).status, 403);
    assert.equal((await detach(before[0], c.as.rita.token)).status, 403);
    const notAttached = await detach(missing);
    assert.equal(notAttached.status, 404);
    assert.match(notAttached.body.itemNotFound.message, /is not attached/);
    const otherShow = await c.call('GET', `/v2.1/servers/${serverId}/os-interface/${missing}`, { token: c.as.alice.token, version: V });
    assert.equal(otherShow.status, 404);

    await c.call('POST', `/v2.1/servers/${serverId}/action`, { token: c.as.admin.token, version: V, body: { lock: null } });
    const locked = await attach({ interfaceAttachment: { net_id: otherNet } });
    assert.equal(locked.status, 409);
    assert.match(locked.body.conflictingRequest.message, /is locked/);
    assert.equal((await detach(before[0])).status, 409);
    await c.call('POST', `/v2.1/servers/${serverId}/action`, { token: c.as.admin.token, version: V, body: { unlock: null } });

    await c.call('POST', `/v2.1/servers/${serverId}/action`, { token: c.as.alice.token, version: V, body: { suspend: null } });
    await c.waitForServer(serverId, c.as.alice.token, (s) => s?.status === 'SUSPENDED' && s['OS-EXT-STS:task_state'] === null);
    const suspended = await attach({ interfaceAttachment: { net_id: otherNet } });
    assert.equal(suspended.status, 409);
    assert.match(suspended.body.conflictingRequest.message, /Cannot 'attach_interface' instance .* vm_state suspended/);
    await c.call('POST', `/v2.1/servers/${serverId}/action`, { token: c.as.alice.token, version: V, body: { resume: null } });
    await c.waitForServer(serverId, c.as.alice.token, (s) => s?.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null);
    assert.deepEqual((await portsOf()).map((p) => p.id), before);
    assert.equal(nics().length, 1);
  });

  it('releases the port when the hypervisor cannot plug it, and answers why', async () => {
    const portCount = (await neutron('GET', '/ports', c.as.admin.token)).body.ports.length;
    failNextPlug = true;
    const res = await attach({ interfaceAttachment: { net_id: otherNet } });
    assert.equal(res.status, 500);
    assert.match(res.body.computeFault.message, /Failed to attach network adapter device to .*no free PCI slot/);
    assert.equal((await neutron('GET', '/ports', c.as.admin.token)).body.ports.length, portCount, 'the port created for it is gone');
    assert.equal(nics().length, 1);
    assert.deepEqual(Object.keys((await server()).addresses), ['private']);

    const own = (await neutron('POST', '/ports', c.as.alice.token, { port: { network_id: otherNet } })).body.port;
    failNextPlug = true;
    assert.equal((await attach({ interfaceAttachment: { port_id: own.id } })).status, 500);
    const back = (await neutron('GET', `/ports/${own.id}`, c.as.admin.token)).body.port;
    assert.deepEqual([back.device_id, back['binding:host_id']], ['', ''], 'the user\'s port is free again');
    await neutron('DELETE', `/ports/${own.id}`, c.as.alice.token);
  });

  it('attaches to a stopped server, and deleting the server deletes attached ports it created and frees the user\'s', async () => {
    await c.call('POST', `/v2.1/servers/${serverId}/action`, { token: c.as.alice.token, version: V, body: { 'os-stop': null } });
    await c.waitForServer(serverId, c.as.alice.token, (s) => s?.status === 'SHUTOFF' && s['OS-EXT-STS:task_state'] === null);
    const created = await attach({ interfaceAttachment: { net_id: otherNet } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const own = (await neutron('POST', '/ports', c.as.alice.token, { port: { network_id: otherNet } })).body.port;
    assert.equal((await attach({ interfaceAttachment: { port_id: own.id } })).status, 200);
    assert.equal(nics().length, 3);
    await c.call('DELETE', `/v2.1/servers/${serverId}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(serverId, c.as.alice.token, (s) => s === undefined);
    assert.deepEqual(await portsOf(), []);
    assert.equal((await neutron('GET', `/ports/${created.body.interfaceAttachment.port_id}`, c.as.admin.token)).status, 404);
    const freed = (await neutron('GET', `/ports/${own.id}`, c.as.admin.token)).body.port;
    assert.deepEqual([freed.device_id, freed['binding:host_id']], ['', '']);
  });
});
