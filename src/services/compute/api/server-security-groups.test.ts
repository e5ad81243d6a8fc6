// addSecurityGroup / removeSecurityGroup and GET /servers/{id}/os-security-groups with the boot flow in process and
// real Networking: a group lands on (and leaves) every port of the server as Networking shows it; unknown or
// ambiguous groups, bad bodies, a server without ports and another project's server are refused, changing nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

const V = '2.60';

describe('server security groups', () => {
  let c: TestCompute;
  let serverId: string;
  let webId: string;
  const neutron = (method: string, path: string, token: string, body?: unknown) => c.neutron(method, path, token, body);
  const network = async (name: string, cidr: string) => {
    const id = (await neutron('POST', '/networks', c.as.alice.token, { network: { name } })).body.network.id as string;
    await neutron('POST', '/subnets', c.as.alice.token, { subnet: { network_id: id, cidr, ip_version: 4 } });
    return id;
  };
  const group = async (name: string, token = c.as.alice.token) =>
    (await neutron('POST', '/security-groups', token, { security_group: { name, description: `${name} servers` } })).body.security_group as { id: string };
  const action = (body: unknown, opts: { token?: string; server?: string } = {}) =>
    c.call('POST', `/v2.1/servers/${opts.server ?? serverId}/action`, { token: opts.token ?? c.as.alice.token, version: V, body });
  /** The group ids on each of the server's ports, as Networking has them. */
  const portGroups = async (id = serverId) => ((await neutron('GET', `/ports?device_id=${id}`, c.as.admin.token)).body.ports as { security_groups: string[] }[])
    .map((p) => [...p.security_groups].sort());
  const listed = async () => (await c.call('GET', `/v2.1/servers/${serverId}/os-security-groups`, { token: c.as.alice.token, version: V })).body.security_groups as
    { id: string; name: string; rules: { ip_protocol: string | null; from_port: number; to_port: number; ip_range: { cidr?: string } }[] }[];
  const shownNames = async () => ((await c.call('GET', `/v2.1/servers/${serverId}`, { token: c.as.alice.token, version: V })).body.server.security_groups as { name: string }[])
    .map((g) => g.name);

  before(async () => {
    c = await startCompute({}, { hosts: ['host-a'] });
    const a = await network('net-a', '10.20.0.0/24');
    const b = await network('net-b', '10.21.0.0/24');
    const res = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: {
      name: 'sg-vm', imageRef: c.imageId, flavorRef: '1', networks: [{ uuid: a }, { uuid: b }] } } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    serverId = res.body.server.id;
    await c.waitForServer(serverId, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    webId = (await group('web')).id;
    const rule = await neutron('POST', '/security-group-rules', c.as.alice.token, { security_group_rule: {
      security_group_id: webId, direction: 'ingress', protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_ip_prefix: '192.0.2.0/24' } });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
  });
  after(async () => { await c?.close(); });

  it('adds a group by name to every port, lists it, and removes it again', async () => {
    const before = await portGroups();
    assert.equal(before.length, 2);
    const added = await action({ addSecurityGroup: { name: 'web' } });
    assert.equal(added.status, 202, JSON.stringify(added.body));
    assert.deepEqual(await portGroups(), before.map((ids) => [...ids, webId].sort()));
    assert.deepEqual(await shownNames(), ['default', 'web']);
    const web = (await listed()).find((g) => g.id === webId);
    assert.ok(web, 'os-security-groups lists the added group');
    assert.equal(web.name, 'web');
    assert.deepEqual(web.rules.map((r) => [r.ip_protocol, r.from_port, r.to_port, r.ip_range.cidr]), [['tcp', 443, 443, '192.0.2.0/24']]);
    // Adding it again changes nothing.
    assert.equal((await action({ addSecurityGroup: { name: webId } })).status, 202);
    assert.deepEqual(await portGroups(), before.map((ids) => [...ids, webId].sort()));

    assert.equal((await action({ removeSecurityGroup: { name: 'web' } })).status, 202);
    assert.deepEqual(await portGroups(), before);
    assert.deepEqual(await shownNames(), ['default']);
    assert.ok(!(await listed()).some((g) => g.id === webId));
    const again = await action({ removeSecurityGroup: { name: 'web' } });
    assert.equal(again.status, 404);
    assert.equal(again.body.itemNotFound.message, `Security group web not associated with the instance ${serverId}`);
  });

  it('shows the project\'s groups through the os-security-groups proxy before 2.36, and not from 2.36', async () => {
    const list = await c.call('GET', '/v2.1/os-security-groups', { token: c.as.alice.token, version: '2.1' });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.security_groups.map((g: { name: string }) => g.name).sort(), ['default', 'web']);
    const one = await c.call('GET', `/v2.1/os-security-groups/${webId}`, { token: c.as.alice.token, version: '2.1' });
    assert.equal(one.body.security_group.name, 'web');
    assert.equal(one.body.security_group.tenant_id, c.as.alice.projectId);
    assert.equal((await c.call('GET', `/v2.1/os-security-groups/${webId}`, { token: c.as.bob.token, version: '2.1' })).status, 404);
    assert.equal((await c.call('GET', '/v2.1/os-security-groups/web', { token: c.as.alice.token, version: '2.1' })).status, 404);
    assert.equal((await c.call('GET', '/v2.1/os-security-groups', { token: c.as.alice.token, version: '2.36' })).status, 404);
  });

  it('refuses unknown, ambiguous and other projects\' groups and bad bodies, changing no port', async () => {
    const before = await portGroups();
    const unknown = await action({ addSecurityGroup: { name: 'nope' } });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.itemNotFound.message, /^Security group nope is not found for project /);
    const bobs = await group('bobs', c.as.bob.token);
    assert.equal((await action({ addSecurityGroup: { name: bobs.id } })).status, 404, 'another project\'s group is not found');
    await group('twin');
    await group('twin');
    const twin = await action({ addSecurityGroup: { name: 'twin' } });
    assert.equal(twin.status, 409);
    assert.match(twin.body.conflictingRequest.message, /Multiple security_group matches found for name 'twin'/);
    for (const [body, message] of [[{ addSecurityGroup: null }, 'Missing parameter dict'], [{ addSecurityGroup: {} }, 'Security group not specified'],
      [{ removeSecurityGroup: { name: '  ' } }, 'Security group name cannot be empty']] as const) {
      const res = await action(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.badRequest.message, message);
    }
    assert.equal((await action({ addSecurityGroup: { name: 'web' } }, { token: c.as.bob.token })).status, 404, 'another project\'s server');
    assert.deepEqual(await portGroups(), before);
  });

  it('answers 404 for a server without ports and lists no groups for it', async () => {
    const res = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: {
      name: 'portless', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    const id = res.body.server.id as string;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    const add = await action({ addSecurityGroup: { name: 'web' } }, { server: id });
    assert.equal(add.status, 404);
    assert.equal(add.body.itemNotFound.message, `instance_id ${id} could not be found as device id on any ports`);
    const list = await c.call('GET', `/v2.1/servers/${id}/os-security-groups`, { token: c.as.alice.token, version: V });
    assert.deepEqual(list.body, { security_groups: [] });
  });

  it('boots with the groups asked for on its new ports, and refuses an unknown group before recording anything', async () => {
    const net = await network('net-boot', '10.22.0.0/24');
    const boot = (name: string, groups: string[]) => c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: {
      name, imageRef: c.imageId, flavorRef: '1', networks: [{ uuid: net }], security_groups: groups.map((g) => ({ name: g })) } } });
    const res = await boot('sg-boot', ['web', webId]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await c.waitForServer(res.body.server.id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.deepEqual(await portGroups(res.body.server.id), [[webId]], 'only the group asked for (once), not default');

    const unknown = await boot('sg-unknown', ['no-such-group']);
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.badRequest.message, /Security group no-such-group not found/);
    const names = ((await c.call('GET', '/v2.1/servers', { token: c.as.alice.token, version: V })).body.servers as { name: string }[]).map((s) => s.name);
    assert.ok(!names.includes('sg-unknown'), 'no server recorded');
  });
});

