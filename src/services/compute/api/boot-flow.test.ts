// The boot flow end to end in one process: compute-api → conductor → scheduler (Placement claim) → agent (Image
// fetch, fake driver spawn) → ACTIVE; delete back through the agent; reschedule on a failing host; NoValidHost.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeDriver } from '../roles.ts';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

const V = '2.60';

describe('boot flow', () => {
  let c: TestCompute;
  // host-b fails every spawn, so builds that land there are rescheduled to host-a.
  const failing = createFakeDriver({ nodeName: 'host-b', vcpus: 64, memoryMb: 32768, localGb: 1000 });
  failing.spawn = async () => { throw new Error('simulated hypervisor failure'); };
  before(async () => { c = await startCompute({}, { hosts: ['host-a', 'host-b'], drivers: { 'host-b': failing } }); });
  after(async () => { await c?.close(); });

  const create = (token: string, server: Record<string, unknown>) =>
    c.call('POST', '/v2.1/servers', { token, version: V, body: { server: { name: 'vm', imageRef: c.imageId, flavorRef: '1', networks: 'none', ...server } } });

  it('builds a server to ACTIVE on a host, records each step as an event, and deletes it', async () => {
    const res = await create(c.as.alice.token, { name: 'web-1', metadata: { role: 'web' } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id;
    assert.ok(res.body.server.adminPass);
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR');
    assert.equal(server.status, 'ACTIVE', JSON.stringify(server.fault));
    assert.equal(server['OS-EXT-STS:power_state'], 1);
    assert.equal(server['OS-EXT-STS:vm_state'], 'active');
    assert.equal(server.tenant_id, c.as.alice.projectId);
    assert.deepEqual(server.metadata, { role: 'web' });
    assert.match(server.hostId, /^[0-9a-f]{56}$/);
    assert.equal(server['OS-EXT-SRV-ATTR:host'], undefined, 'members do not see the host');
    // The larger host failed the build (if it was tried); the server is on host-a and the fake driver holds it.
    assert.ok(c.drivers['host-a'] && (await c.drivers['host-a'].powerState({ uuid: id })) === 'running');
    const asAdmin = await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.admin.token, version: V });
    assert.equal(asAdmin.body.server['OS-EXT-SRV-ATTR:host'], 'host-a');

    const actions = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.alice.token, version: V });
    assert.deepEqual(actions.body.instanceActions.map((a: { action: string }) => a.action), ['create']);
    const requestId = actions.body.instanceActions[0].request_id;
    assert.equal(requestId, res.headers.get('x-openstack-request-id'));
    const shown = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${requestId}`, { token: c.as.alice.token, version: V });
    const events = shown.body.instanceAction.events as { event: string; result: string; finish_time: string | null }[];
    assert.ok(events.some((e) => e.event === 'conductor_schedule_and_build_instances' && e.result === 'Success'), JSON.stringify(events));
    assert.ok(events.some((e) => e.event === 'compute_build_and_run_instance' && e.result === 'Success'), JSON.stringify(events));
    assert.ok(events.every((e) => e.finish_time));

    const del = await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    assert.equal(del.status, 204);
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    assert.equal(await c.drivers['host-a'].powerState({ uuid: id }), undefined);
  });

  it('reschedules a build that fails on one host to another', async () => {
    // host-b has far more free RAM, so the weigher tries it first; it fails and host-a gets the server.
    const res = await create(c.as.alice.token, { name: 'resched' });
    const id = res.body.server.id;
    const server = await c.waitForServer(id, c.as.admin.token, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR');
    assert.equal(server.status, 'ACTIVE');
    assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-a');
    const actions = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.admin.token, version: V });
    const shown = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${actions.body.instanceActions[0].request_id}`, { token: c.as.admin.token, version: V });
    const builds = shown.body.instanceAction.events.filter((e: { event: string }) => e.event === 'compute_build_and_run_instance');
    assert.deepEqual(builds.map((e: { result: string }) => e.result).sort(), ['Error', 'Success']);
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
  });

  it('puts a server nothing can hold in ERROR with a NoValidHost fault', async () => {
    const flavor = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, body: { flavor: { name: 'huge', ram: 50_000, vcpus: 1, disk: 1 } } });
    assert.equal(flavor.status, 200);
    const res = await create(c.as.alice.token, { name: 'too-big', flavorRef: flavor.body.flavor.id });
    assert.equal(res.status, 202);
    const server = await c.waitForServer(res.body.server.id, c.as.alice.token, (s) => s?.status === 'ERROR');
    assert.match(server.fault.message, /No valid host was found/);
    // Each host is named with the reason it was rejected.
    assert.match(server.fault.message, /host-a: RAM: \d+ MB free < 50000 MB requested/);
    assert.match(server.fault.message, /host-b: RAM: \d+ MB free < 50000 MB requested/);
    assert.equal(server.fault.code, 500);
    const del = await c.call('DELETE', `/v2.1/servers/${res.body.server.id}`, { token: c.as.alice.token, version: V });
    assert.equal(del.status, 204);
    await c.waitForServer(res.body.server.id, c.as.alice.token, (s) => s === undefined);
  });

  it('stops, starts, reboots, pauses and unpauses through the agent', async () => {
    const res = await create(c.as.alice.token, { name: 'power' });
    const id = res.body.server.id;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    const act = (body: unknown) => c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: V, body });
    assert.equal((await act({ 'os-stop': null })).status, 202);
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'SHUTOFF' && s['OS-EXT-STS:power_state'] === 4);
    const again = await act({ 'os-stop': null });
    assert.equal(again.status, 409);
    assert.match(again.body.conflictingRequest.message, /while it is in vm_state stopped/);
    assert.equal((await act({ 'os-start': null })).status, 202);
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null);
    assert.equal((await act({ reboot: { type: 'HARD' } })).status, 202);
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null);
    assert.equal((await act({ pause: null })).status, 202);
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'PAUSED');
    assert.equal((await act({ unpause: null })).status, 202);
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null);
    assert.equal((await act({ reboot: { type: 'sideways' } })).status, 400);
    assert.equal((await act({ teleport: null })).status, 400);
    const actions = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.alice.token, version: V });
    assert.deepEqual(actions.body.instanceActions.map((a: { action: string }) => a.action).sort(),
      ['create', 'pause', 'reboot', 'start', 'stop', 'unpause']);
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
  });

  it('keeps servers to their project, reader reads, and refuses bad requests with Nova\'s errors', async () => {
    const res = await create(c.as.alice.token, { name: 'private' });
    const id = res.body.server.id;
    assert.equal((await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.bob.token, version: V })).status, 404);
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.bob.token, version: V })).status, 404);
    assert.equal((await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.rita.token, version: V })).status, 200);
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.rita.token, version: V })).status, 403);
    assert.equal((await create(c.as.rita.token, {})).status, 403);
    const bobList = await c.call('GET', '/v2.1/servers', { token: c.as.bob.token, version: V });
    assert.ok(!bobList.body.servers.some((s: { id: string }) => s.id === id));
    const aliceList = await c.call('GET', '/v2.1/servers/detail?name=^priv', { token: c.as.alice.token, version: V });
    assert.deepEqual(aliceList.body.servers.map((s: { id: string }) => s.id), [id]);

    const noNetworks = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'x', imageRef: c.imageId, flavorRef: '1' } } });
    assert.equal(noNetworks.status, 400);
    assert.match(noNetworks.body.badRequest.message, /networks/);
    const badFlavor = await create(c.as.alice.token, { flavorRef: 'nope' });
    assert.equal(badFlavor.status, 400);
    assert.equal(badFlavor.body.badRequest.message, 'Invalid flavorRef provided.');
    const badImage = await create(c.as.alice.token, { imageRef: '00000000-0000-0000-0000-000000000000' });
    assert.equal(badImage.status, 400);
    assert.match(badImage.body.badRequest.message, /Image 0+-.* could not be found/);
    const extra = await create(c.as.alice.token, { colour: 'blue' });
    assert.equal(extra.status, 400);
    const badKey = await create(c.as.alice.token, { key_name: 'missing' });
    assert.equal(badKey.status, 404);
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
  });

  it('enforces the instances quota, counting what the project has', async () => {
    const put = await c.call('PUT', `/v2.1/os-quota-sets/${c.as.bob.projectId}`, { token: c.as.admin.token, body: { quota_set: { instances: 1 } } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const first = await create(c.as.bob.token, { name: 'one' });
    assert.equal(first.status, 202);
    const second = await create(c.as.bob.token, { name: 'two' });
    assert.equal(second.status, 403);
    assert.match(second.body.forbidden.message, /Quota exceeded for instances: Requested 1, but already used 1 of 1 instances/);
    await c.call('DELETE', `/v2.1/servers/${first.body.server.id}`, { token: c.as.bob.token, version: V });
  });

  it('imports and generates key pairs, and a server gets its key', async () => {
    const gen = await c.call('POST', '/v2.1/os-keypairs', { token: c.as.alice.token, version: V, body: { keypair: { name: 'made' } } });
    assert.equal(gen.status, 201, JSON.stringify(gen.body));
    assert.match(gen.body.keypair.public_key, /^ssh-rsa AAAAB3NzaC1yc2E/);
    assert.match(gen.body.keypair.private_key, /BEGIN RSA PRIVATE KEY/);
    assert.match(gen.body.keypair.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    const pub = gen.body.keypair.public_key;
    const imported = await c.call('POST', '/v2.1/os-keypairs', { token: c.as.alice.token, version: V, body: { keypair: { name: 'mine', public_key: pub } } });
    assert.equal(imported.status, 201);
    assert.equal(imported.body.keypair.fingerprint, gen.body.keypair.fingerprint);
    assert.equal(imported.body.keypair.private_key, undefined);
    const dup = await c.call('POST', '/v2.1/os-keypairs', { token: c.as.alice.token, version: V, body: { keypair: { name: 'mine', public_key: pub } } });
    assert.equal(dup.status, 409);
    const bad = await c.call('POST', '/v2.1/os-keypairs', { token: c.as.alice.token, version: V, body: { keypair: { name: 'bad', public_key: 'ssh-rsa notbase64!' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.badRequest.message, /Keypair data is invalid/);
    const list = await c.call('GET', '/v2.1/os-keypairs', { token: c.as.alice.token, version: V });
    assert.deepEqual(list.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name), ['made', 'mine']);
    assert.equal((await c.call('GET', '/v2.1/os-keypairs/mine', { token: c.as.bob.token, version: V })).status, 404);

    const res = await create(c.as.alice.token, { name: 'keyed', key_name: 'mine' });
    const server = await c.waitForServer(res.body.server.id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.equal(server.key_name, 'mine');
    const fake = c.drivers['host-a'] as ReturnType<typeof createFakeDriver>;
    assert.equal(fake.guest(res.body.server.id)?.keyData, pub);
    assert.equal(fake.guest(res.body.server.id)?.image?.id, c.imageId);
    await c.call('DELETE', `/v2.1/servers/${res.body.server.id}`, { token: c.as.alice.token, version: V });
    assert.equal((await c.call('DELETE', '/v2.1/os-keypairs/mine', { token: c.as.alice.token, version: V })).status, 204);
    assert.equal((await c.call('DELETE', '/v2.1/os-keypairs/mine', { token: c.as.alice.token, version: V })).status, 404);
  });

  it('lists compute services and hypervisors; a disabled host gets no new servers', async () => {
    const services = await c.call('GET', '/v2.1/os-services', { token: c.as.admin.token, version: V });
    const computes = services.body.services.filter((s: { binary: string }) => s.binary === 'nova-compute');
    assert.deepEqual(computes.map((s: { host: string }) => s.host).sort(), ['host-a', 'host-b']);
    assert.ok(computes.every((s: { state: string; status: string }) => s.state === 'up' && s.status === 'enabled'));
    assert.ok(services.body.services.some((s: { binary: string }) => s.binary === 'nova-scheduler'));
    assert.equal((await c.call('GET', '/v2.1/os-services', { token: c.as.alice.token, version: V })).status, 403);

    const hv = await c.call('GET', '/v2.1/os-hypervisors/detail', { token: c.as.admin.token, version: V });
    const a = hv.body.hypervisors.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === 'host-a');
    assert.equal(a.hypervisor_type, 'fake');
    assert.equal(a.vcpus, 8);
    assert.equal(a.memory_mb, 16384);

    const hostA = computes.find((s: { host: string }) => s.host === 'host-a');
    const off = await c.call('PUT', `/v2.1/os-services/${hostA.id}`, { token: c.as.admin.token, version: V, body: { status: 'disabled', disabled_reason: 'maintenance' } });
    assert.equal(off.status, 200);
    assert.equal(off.body.service.status, 'disabled');
    // Only host-a builds successfully (host-b fails every spawn), so with host-a disabled the build ends in ERROR.
    const res = await create(c.as.alice.token, { name: 'nowhere' });
    const server = await c.waitForServer(res.body.server.id, c.as.admin.token, (s) => s?.status === 'ERROR');
    assert.equal(server['OS-EXT-SRV-ATTR:host'], null);
    assert.match(server.fault.message, /host-a: ComputeFilter: the compute service is disabled \(maintenance\)/);
    assert.match(server.fault.message, /host-b: RetryFilter: a build of this server already failed here/);
    await c.call('PUT', `/v2.1/os-services/${hostA.id}`, { token: c.as.admin.token, version: V, body: { status: 'enabled' } });
    await c.call('DELETE', `/v2.1/servers/${res.body.server.id}`, { token: c.as.alice.token, version: V });
  });

  it('places anti-affinity members on different hosts and refuses a third when no host is left', async () => {
    // host-b fails every spawn, so use a group on its own cloud slice: two enabled hosts are host-a and host-b; the
    // second member is scheduled away from the first, lands on host-b, fails there and has nowhere else to go.
    const group = await c.call('POST', '/v2.1/os-server-groups', { token: c.as.alice.token, version: V, body: { server_group: { name: 'spread', policies: ['anti-affinity'] } } });
    assert.equal(group.status, 200, JSON.stringify(group.body));
    const gid = group.body.server_group.id;
    const limits = await c.call('GET', '/v2.1/limits', { token: c.as.alice.token, version: V });
    assert.equal(limits.body.limits.absolute.totalServerGroupsUsed, 1);
    const detail = await c.call('GET', `/v2.1/os-quota-sets/${c.as.alice.projectId}/detail`, { token: c.as.alice.token, version: V });
    assert.equal(detail.body.quota_set.server_groups.in_use, 1);
    const boot = (name: string) => c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V,
      body: { server: { name, imageRef: c.imageId, flavorRef: '1', networks: 'none' }, 'os:scheduler_hints': { group: gid } } });
    const first = await boot('g1');
    const s1 = await c.waitForServer(first.body.server.id, c.as.admin.token, (s) => s?.status === 'ACTIVE');
    assert.equal(s1['OS-EXT-SRV-ATTR:host'], 'host-a');
    const second = await boot('g2');
    const s2 = await c.waitForServer(second.body.server.id, c.as.admin.token, (s) => s?.status === 'ERROR');
    assert.match(s2.fault.message, /host-a: ServerGroupAntiAffinityFilter/);
    const shown = await c.call('GET', `/v2.1/os-server-groups/${gid}`, { token: c.as.alice.token, version: V });
    assert.deepEqual(shown.body.server_group.policies, ['anti-affinity']);
    assert.deepEqual(shown.body.server_group.members.sort(), [first.body.server.id, second.body.server.id].sort());
    assert.equal((await c.call('GET', `/v2.1/os-server-groups/${gid}`, { token: c.as.bob.token, version: V })).status, 404);
    const badHint = await c.call('POST', '/v2.1/servers', { token: c.as.bob.token, version: V,
      body: { server: { name: 'x', imageRef: c.imageId, flavorRef: '1', networks: 'none' }, 'os:scheduler_hints': { group: gid } } });
    assert.equal(badHint.status, 404);
    for (const r of [first, second]) await c.call('DELETE', `/v2.1/servers/${r.body.server.id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(first.body.server.id, c.as.alice.token, (s) => s === undefined);
    assert.equal((await c.call('DELETE', `/v2.1/os-server-groups/${gid}`, { token: c.as.alice.token, version: V })).status, 204);
  });

  it('keeps server metadata, shows the console log and lists the availability zone', async () => {
    const res = await create(c.as.alice.token, { name: 'meta', metadata: { a: '1' } });
    const id = res.body.server.id;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    const merged = await c.call('POST', `/v2.1/servers/${id}/metadata`, { token: c.as.alice.token, version: V, body: { metadata: { b: '2' } } });
    assert.deepEqual(merged.body.metadata, { a: '1', b: '2' });
    const one = await c.call('PUT', `/v2.1/servers/${id}/metadata/c`, { token: c.as.alice.token, version: V, body: { meta: { c: '3' } } });
    assert.deepEqual(one.body.meta, { c: '3' });
    const mismatch = await c.call('PUT', `/v2.1/servers/${id}/metadata/c`, { token: c.as.alice.token, version: V, body: { meta: { d: '3' } } });
    assert.equal(mismatch.status, 400);
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}/metadata/a`, { token: c.as.alice.token, version: V })).status, 204);
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}/metadata/a`, { token: c.as.alice.token, version: V })).status, 404);
    const replaced = await c.call('PUT', `/v2.1/servers/${id}/metadata`, { token: c.as.alice.token, version: V, body: { metadata: { z: '26' } } });
    assert.deepEqual(replaced.body.metadata, { z: '26' });
    assert.equal((await c.call('POST', `/v2.1/servers/${id}/metadata`, { token: c.as.rita.token, version: V, body: { metadata: { r: '1' } } })).status, 403);
    const tooMany = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
    assert.equal((await c.call('PUT', `/v2.1/servers/${id}/metadata`, { token: c.as.alice.token, version: V, body: { metadata: tooMany } })).status, 400);

    await c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: V, body: { reboot: { type: 'SOFT' } } });
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null);
    const log = await c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: V, body: { 'os-getConsoleOutput': { length: 1 } } });
    assert.equal(log.status, 200);
    assert.match(log.body.output, /^\S+ fake hypervisor: rebooted\n$/);
    const all = await c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: V, body: { 'os-getConsoleOutput': {} } });
    assert.match(all.body.output, /started meta with 1 vCPUs/);

    const zones = await c.call('GET', '/v2.1/os-availability-zone', { token: c.as.alice.token, version: V });
    assert.deepEqual(zones.body.availabilityZoneInfo, [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }]);
    const detail = await c.call('GET', '/v2.1/os-availability-zone/detail', { token: c.as.admin.token, version: V });
    const nova = detail.body.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === 'nova');
    assert.ok(nova.hosts['host-a']['nova-compute'].available);
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
  });

  it('lets admins reset a server\'s state and reports usage per project', async () => {
    const res = await create(c.as.alice.token, { name: 'usage' });
    const id = res.body.server.id;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    const reset = (token: string, state: string) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version: V, body: { 'os-resetState': { state } } });
    assert.equal((await reset(c.as.alice.token, 'error')).status, 403);
    assert.equal((await reset(c.as.admin.token, 'sideways')).status, 400);
    assert.equal((await reset(c.as.admin.token, 'error')).status, 202);
    assert.equal((await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V })).body.server.status, 'ERROR');
    await reset(c.as.admin.token, 'active');
    const usage = await c.call('GET', `/v2.1/os-simple-tenant-usage/${c.as.alice.projectId}`, { token: c.as.alice.token, version: V });
    assert.equal(usage.status, 200);
    const mine = usage.body.tenant_usage.server_usages.find((u: { instance_id: string }) => u.instance_id === id);
    assert.equal(mine.state, 'active');
    assert.equal(mine.vcpus, 1);
    assert.ok(mine.hours > 0);
    assert.equal((await c.call('GET', '/v2.1/os-simple-tenant-usage', { token: c.as.alice.token, version: V })).status, 403);
    const all = await c.call('GET', '/v2.1/os-simple-tenant-usage?detailed=1', { token: c.as.admin.token, version: V });
    assert.ok(all.body.tenant_usages.some((t: { tenant_id: string }) => t.tenant_id === c.as.alice.projectId));
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
  });
});
