// Evacuate through the whole flow with fake hosts: servers on host-c, whose agent is then stopped and its service
// forced down, are rebuilt on host-a or host-b from their image — ports rebound, volumes reattached, a stopped server
// kept stopped, Placement's claim moved — and when host-c's agent comes back it destroys the guests it still had of
// them and completes their migrations. Refusals (policy, a source still up, bad hosts, bodies per microversion, vm
// states) change nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '#lib/config/options.ts';
import { sharedMemoryBus } from '#lib/bus/index.ts';
import { silentLogger } from '#lib/log.ts';
import { until } from '#lib/test-wait.ts';
import { computeOptions, createComputeAgent, createFakeDriver } from '../roles.ts';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

const V = '2.60';
const SOURCE = 'host-c';
type Fake = ReturnType<typeof createFakeDriver>;

describe('evacuate', () => {
  let c: TestCompute;
  let agent: { close(): Promise<void> } | undefined;
  // host-c's hypervisor outlives its agent, as a real host's disks outlive a crashed nova-compute.
  const source = createFakeDriver({ nodeName: SOURCE, vcpus: 8, memoryMb: 16384, localGb: 100 });
  const ids: Record<string, string> = {};
  let networkId = '';
  let volumeId = '';

  const rest = async (base: string, method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base.replace(/\/$/, '')}${path}`, {
      method, headers: { 'x-auth-token': token, ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const cinder = (method: string, path: string, body?: unknown) => rest(c.volumeUrl!, method, path, c.as.alice.token, body, { 'openstack-api-version': 'volume 3.60' });
  const act = (id: string, body: unknown, version = V, token = c.as.admin.token) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version, body });
  const evacuate = (id: string, args: unknown, version = V, token = c.as.admin.token) => act(id, { evacuate: args }, version, token);
  const settled = (id: string) => c.waitForServer(id, c.as.admin.token, (s) => s?.['OS-EXT-STS:task_state'] === null && s?.status !== 'BUILD');
  const migrationsOf = async (id: string) =>
    (await c.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.as.admin.token, version: '2.59' })).body.migrations as Record<string, string>[];
  const serviceId = async (host: string) =>
    (await c.call('GET', `/v2.1/os-services?host=${host}&binary=nova-compute`, { token: c.as.admin.token, version: '2.53' })).body.services[0].id as string;
  const setService = async (host: string, body: Record<string, unknown>) => {
    const res = await c.call('PUT', `/v2.1/os-services/${await serviceId(host)}`, { token: c.as.admin.token, version: '2.53', body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const startSource = async () => {
    agent = await createComputeAgent({
      options: resolveOptions('compute', computeOptions, { report_interval: 1 }, {}), authUrl: c.authUrl, servicePassword: c.novaPassword,
      bus: sharedMemoryBus(c.busName), log: silentLogger(), host: SOURCE, driver: source,
    });
  };
  const events = async (id: string, action: string) => {
    const actions = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.admin.token, version: V })).body.instanceActions as { action: string; request_id: string }[];
    const found = actions.find((a) => a.action === action);
    assert.ok(found, `no ${action} action in ${JSON.stringify(actions)}`);
    const shown = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${found.request_id}`, { token: c.as.admin.token, version: V });
    return (shown.body.instanceAction.events as { event: string; result: string }[]).map((e) => [e.event, e.result]);
  };

  before(async () => {
    c = await startCompute({}, { hosts: ['host-a', 'host-b'] });
    await startSource();
    networkId = (await rest(c.networkUrl!, 'POST', '/v2.0/networks', c.as.alice.token, { network: { name: 'private' } })).body.network.id;
    await rest(c.networkUrl!, 'POST', '/v2.0/subnets', c.as.alice.token, { subnet: { network_id: networkId, cidr: '10.0.0.0/24', ip_version: 4 } });
    // Every server lands on host-c while the other hosts are disabled.
    for (const host of ['host-a', 'host-b']) await setService(host, { status: 'disabled' });
    ids.net = await c.bootActive('evac-net', { server: { networks: [{ uuid: networkId }] } });
    for (const name of ['stopped', 'paused', 'plain', 'kept', 'broken']) ids[name] = await c.bootActive(`evac-${name}`);
    for (const host of ['host-a', 'host-b']) await setService(host, { status: 'enabled' });
    volumeId = (await cinder('POST', '/volumes', { volume: { size: 1, name: 'data' } })).body.volume.id;
    await until('the volume to be available', async () => (await cinder('GET', `/volumes/${volumeId}`)).body.volume.status === 'available');
    await c.call('POST', `/v2.1/servers/${ids.net}/os-volume_attachments`, { token: c.as.alice.token, version: V, body: { volumeAttachment: { volumeId } } });
    await until('the volume to be in use', async () => (await cinder('GET', `/volumes/${volumeId}`)).body.volume.status === 'in-use');
    assert.equal((await act(ids.stopped, { 'os-stop': null })).status, 202);
    assert.equal((await act(ids.paused, { pause: null })).status, 202);
    await c.waitForServer(ids.stopped, c.as.admin.token, (s) => s?.status === 'SHUTOFF' && s['OS-EXT-STS:task_state'] === null);
    await c.waitForServer(ids.paused, c.as.admin.token, (s) => s?.status === 'PAUSED' && s['OS-EXT-STS:task_state'] === null);
    for (const id of Object.values(ids)) assert.equal(await c.hostOf(id), SOURCE);
  });
  after(async () => {
    await agent?.close();
    await c?.close();
  });

  it('refuses while the source host is up, and refuses bad requests; nothing changes', async () => {
    const id = ids.kept;
    assert.equal((await evacuate(id, {}, V, c.as.alice.token)).status, 403, 'an admin action');
    assert.equal((await evacuate('6b1c9d3e-0000-4000-8000-000000000000', {})).status, 404);
    const inUse = await evacuate(id, {});
    assert.equal(inUse.status, 400, JSON.stringify(inUse.body));
    assert.match(inUse.body.badRequest.message, /Compute service of host-c is still in use/);
    assert.equal((await evacuate(id, { host: 'no-such-host' })).status, 404);
    assert.equal((await evacuate(id, { host: SOURCE })).status, 400, 'never to its own host');
    assert.equal((await evacuate(id, {}, '2.13')).status, 400, 'onSharedStorage is required before 2.14');
    assert.equal((await evacuate(id, { onSharedStorage: true, adminPass: 'x' }, '2.13')).status, 400);
    assert.equal((await evacuate(id, { onSharedStorage: true }, '2.13')).status, 400, 'no shared instance storage here');
    assert.equal((await evacuate(id, { onSharedStorage: false }, '2.14')).status, 400, 'onSharedStorage only before 2.14');
    assert.equal((await evacuate(id, { host: 'host-a', force: true }, '2.28')).status, 400, 'force from 2.29');
    assert.equal((await evacuate(id, { host: 'host-a', force: true }, '2.68')).status, 400, 'no force from 2.68');
    assert.equal((await evacuate(id, { force: true }, '2.29')).status, 400, 'force needs a host');
    assert.equal((await evacuate(id, { host: 'host-a', force: 'maybe' }, '2.29')).status, 400);
    assert.equal((await evacuate(id, { bogus: 1 })).status, 400);
    assert.equal((await evacuate(id, null)).status, 400);

    // host-c dies: its agent stops and an admin forces its service down.
    await agent!.close();
    agent = undefined;
    await setService(SOURCE, { forced_down: true });
    assert.equal((await evacuate(ids.paused, {})).status, 409, 'a paused server is not evacuated');
    await setService('host-b', { forced_down: true });
    const down = await evacuate(id, { host: 'host-b' });
    assert.equal(down.status, 400, 'a named host must be up');
    assert.match(down.body.badRequest.message, /Compute service of host-b is unavailable/);
    await setService('host-b', { forced_down: false });
    assert.equal(await c.hostOf(id), SOURCE);
    assert.deepEqual(await migrationsOf(id), []);
    assert.equal((await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.admin.token, version: V })).body.server['OS-EXT-STS:task_state'], null);
  });

  it('rebuilds a server on another host: ports rebound, volume reattached, Placement moved (the password answered before 2.14)', async () => {
    const id = ids.net;
    const res = await evacuate(id, { onSharedStorage: 'False', adminPass: 'n3w-pass' }, '2.13');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { adminPass: 'n3w-pass' });
    const s = await settled(id);
    assert.equal(s.status, 'ACTIVE');
    const dest = s['OS-EXT-SRV-ATTR:host'];
    assert.ok(dest === 'host-a' || dest === 'host-b', dest);
    const fake = c.drivers[dest] as Fake;
    assert.equal(await fake.powerState({ uuid: id }), 'running');
    assert.equal(fake.guest(id)?.image?.id, c.imageId, 'rebuilt from its image');
    assert.equal(fake.volumes(id).get(volumeId)?.device, '/dev/vdb', 'the volume is attached on the new host');
    const [port] = (await rest(c.networkUrl!, 'GET', `/v2.0/ports?device_id=${id}`, c.as.admin.token)).body.ports;
    assert.equal(port['binding:host_id'], dest, 'the port follows the server');
    const volume = (await cinder('GET', `/volumes/${volumeId}`)).body.volume;
    assert.equal(volume.status, 'in-use');
    assert.deepEqual(volume.attachments.map((a: { server_id: string; host_name: string }) => [a.server_id, a.host_name]), [[id, dest]], 'one attachment, on the new host');

    const [m] = await migrationsOf(id);
    assert.equal(m.migration_type, 'evacuation');
    assert.equal(m.status, 'done');
    assert.equal(m.source_compute, SOURCE);
    assert.equal(m.dest_compute, dest);
    // The server holds the destination; the migration keeps the dead source's share until host-c cleans up.
    assert.deepEqual(Object.keys(await c.allocationsOf(id)), [await c.nodeUuidOf(dest)]);
    assert.deepEqual(Object.keys(await c.allocationsOf(m.uuid)), [await c.nodeUuidOf(SOURCE)]);
    assert.deepEqual(await events(id, 'evacuate'), [['rebuild_server', 'Success'], ['compute_rebuild_instance', 'Success']]);
    assert.equal(await source.powerState({ uuid: id }), 'running', 'host-c is dead: nothing touched its guest yet');
  });

  it('keeps a stopped server stopped, on a forced host (2.29) with no body from 2.14', async () => {
    const id = ids.stopped;
    const res = await evacuate(id, { host: 'host-a', force: true }, '2.29');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body, undefined);
    const s = await settled(id);
    assert.equal(s.status, 'SHUTOFF');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'host-a');
    assert.equal(await c.drivers['host-a'].powerState({ uuid: id }), 'shutdown');
    const [m] = await migrationsOf(id);
    assert.deepEqual([m.status, m.dest_compute], ['done', 'host-a']);
  });

  it('puts the server in ERROR where it was when no host qualifies (as Nova), and evacuates it once one does', async () => {
    const id = ids.plain;
    await setService('host-b', { status: 'disabled' });
    assert.equal((await evacuate(id, { host: 'host-b' }, '2.68')).status, 200);
    await until('the evacuation to fail', async () => (await migrationsOf(id))[0]?.status === 'error');
    const stayed = await settled(id);
    assert.equal(stayed['OS-EXT-SRV-ATTR:host'], SOURCE);
    assert.equal(stayed.status, 'ERROR');
    assert.match(stayed.fault.message, /No valid host/);
    assert.equal((await events(id, 'evacuate'))[0][1], 'Error');
    assert.deepEqual(Object.keys(await c.allocationsOf(id)), [await c.nodeUuidOf(SOURCE)], 'the claim did not move');
    await setService('host-b', { status: 'enabled' });

    assert.equal((await evacuate(id, { host: 'host-b' }, '2.68')).status, 200);
    const s = await c.waitForServer(id, c.as.admin.token, (v) => v?.['OS-EXT-SRV-ATTR:host'] === 'host-b' && v['OS-EXT-STS:task_state'] === null);
    assert.equal(s.status, 'ACTIVE', 'an evacuated ERROR server runs again');
    assert.equal(s.fault, undefined);
    assert.deepEqual(Object.keys(await c.allocationsOf(id)), [await c.nodeUuidOf('host-b')]);
  });

  it('gives the server its claim back, in ERROR on host-c, when the rebuild on the destination fails', async () => {
    const id = ids.broken;
    const dest = c.drivers['host-a'];
    const spawn = dest.spawn.bind(dest);
    dest.spawn = async () => { throw new Error('no room on the fake disk'); };
    try {
      assert.equal((await evacuate(id, { host: 'host-a', force: true }, '2.29')).status, 200);
      await until('the evacuation to fail', async () => (await migrationsOf(id))[0]?.status === 'failed');
      const s = await settled(id);
      assert.equal(s.status, 'ERROR');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], SOURCE);
      assert.match(s.fault.message, /no room on the fake disk/);
    } finally {
      dest.spawn = spawn;
    }
    assert.equal(await dest.powerState({ uuid: id }), undefined, 'nothing left on the destination');
    const [m] = await migrationsOf(id);
    assert.deepEqual(Object.keys(await c.allocationsOf(id)), [await c.nodeUuidOf(SOURCE)], 'the claim is back on host-c');
    assert.deepEqual(await c.allocationsOf(m.uuid), {});
    assert.equal((await events(id, 'evacuate'))[1][1], 'Error');
  });

  it('has host-c destroy what it still holds of the evacuated servers when its agent comes back', async () => {
    const evacuated = [ids.net, ids.stopped, ids.plain];
    for (const id of evacuated) assert.ok(source.guest(id), 'host-c still has the old guest');
    const before = await Promise.all(evacuated.map(async (id) => (await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.admin.token, version: V })).body.server));
    await setService(SOURCE, { forced_down: false });
    await startSource();
    for (const id of evacuated) assert.equal(source.guest(id), undefined, 'the leftover guest is gone');
    assert.ok(source.guest(ids.paused), 'a server never evacuated keeps its guest');
    assert.ok(source.guest(ids.kept));
    assert.ok(source.guest(ids.broken), 'a failed evacuation left the server on host-c');
    for (const [n, id] of evacuated.entries()) {
      const done = (await migrationsOf(id)).find((m) => m.status !== 'error');
      assert.equal(done?.status, 'completed');
      assert.deepEqual(await c.allocationsOf(done.uuid), {}, "the source's share is released");
      const now = (await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.admin.token, version: V })).body.server;
      assert.deepEqual([now.status, now['OS-EXT-SRV-ATTR:host'], now.updated], [before[n].status, before[n]['OS-EXT-SRV-ATTR:host'], before[n].updated],
        'the server record is untouched');
    }
    const [port] = (await rest(c.networkUrl!, 'GET', `/v2.0/ports?device_id=${ids.net}`, c.as.admin.token)).body.ports;
    assert.equal(port['binding:host_id'], await c.hostOf(ids.net), 'the port stays with the new host');
    assert.equal((await cinder('GET', `/volumes/${volumeId}`)).body.volume.status, 'in-use');
    // The other servers of host-c are its own again: the restart left them as they were.
    assert.equal((await c.call('GET', `/v2.1/servers/${ids.paused}`, { token: c.as.admin.token, version: V })).body.server.status, 'PAUSED');
    assert.equal((await c.call('GET', `/v2.1/servers/${ids.kept}`, { token: c.as.admin.token, version: V })).body.server.status, 'ACTIVE');
  });
});

describe('evacuate after a missed heartbeat', () => {
  let c: TestCompute;
  let agent: { close(): Promise<void> } | undefined;

  before(async () => { c = await startCompute({ service_down_time: 4 }, { hosts: ['host-a'] }); });
  after(async () => {
    await agent?.close();
    await c?.close();
  });

  it('accepts the evacuation once the source has been silent for service_down_time, without forced_down', async () => {
    const driver = createFakeDriver({ nodeName: SOURCE, vcpus: 8, memoryMb: 16384, localGb: 100 });
    agent = await createComputeAgent({
      options: resolveOptions('compute', computeOptions, { report_interval: 1 }, {}), authUrl: c.authUrl, servicePassword: c.novaPassword,
      bus: sharedMemoryBus(c.busName), log: silentLogger(), host: SOURCE, driver,
    });
    const services = (await c.call('GET', '/v2.1/os-services?binary=nova-compute', { token: c.as.admin.token, version: '2.53' })).body.services as { id: string; host: string }[];
    const hostA = services.find((s) => s.host === 'host-a')!.id;
    const enable = (status: string) => c.call('PUT', `/v2.1/os-services/${hostA}`, { token: c.as.admin.token, version: '2.53', body: { status } });
    assert.equal((await enable('disabled')).status, 200);
    const id = await c.bootActive('silent');
    assert.equal((await enable('enabled')).status, 200);
    assert.equal(await c.hostOf(id), SOURCE);
    await agent.close();
    agent = undefined;
    const evacuate = () => c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.admin.token, version: V, body: { evacuate: {} } });
    // Refused (400, nothing changes) until the heartbeat is stale; then accepted.
    await until('host-c to be seen down', async () => {
      const res = await evacuate();
      if (res.status === 400) assert.match(res.body.badRequest.message, /still in use/);
      return res.status === 200;
    }, { timeoutMs: 20_000, everyMs: 500 });
    const s = await c.waitForServer(id, c.as.admin.token, (v) => v?.['OS-EXT-SRV-ATTR:host'] === 'host-a' && v['OS-EXT-STS:task_state'] === null);
    assert.equal(s.status, 'ACTIVE');
  });
});
