// Shelve, shelveOffload and unshelve through the whole flow with the fake driver (shelved_offload_time 0, Nova's
// default): the `<name>-shelved` image holds the guest's disk, the offloaded server keeps its port (unbound) and its
// volume (reserved, disconnected) but no host and no allocation; unshelve schedules it, spawns it from that image,
// rebinds and reconnects, and deletes the image. Refusals change nothing; a failed unshelve goes back to
// SHELVED_OFFLOADED (as in Nova) with the error in its event and gives its claim back; a deleted shelved server leaves
// no image or port behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import { until } from '#lib/test-wait.ts';
import type { createFakeDriver } from '../roles.ts';

const V = '2.60';
type Fake = ReturnType<typeof createFakeDriver>;

describe('shelve and unshelve (offloaded at once)', () => {
  let c: TestCompute;
  let networkId: string;
  const rest = async (base: string, method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base.replace(/\/$/, '')}${path}`, {
      method, headers: { 'x-auth-token': token, ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const neutron = (method: string, path: string, body?: unknown) => rest(c.networkUrl!, method, `/v2.0${path}`, c.as.admin.token, body);
  const cinder = (method: string, path: string, body?: unknown) => rest(c.volumeUrl!, method, path, c.as.alice.token, body, { 'openstack-api-version': 'volume 3.60' });
  const allocations = async (id: string) =>
    (await rest(c.placementUrl!, 'GET', `/allocations/${id}`, c.as.admin.token, undefined, { 'openstack-api-version': 'placement 1.28' })).body.allocations as Record<string, unknown>;
  const images = async () => ((await rest(c.imageUrl!, 'GET', '/v2/images', c.as.alice.token)).body.images as { id: string; name: string; status: string }[]);
  const act = (id: string, body: unknown, token = c.as.alice.token) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version: V, body });
  const settled = (id: string, status: string) =>
    c.waitForServer(id, c.as.admin.token, (s) => s?.status === status && s?.['OS-EXT-STS:task_state'] === null);
  /** The action's events once each has a result: the server's state is saved before its event finishes, as in Nova. */
  const events = async (id: string, action: string) => {
    const actions = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.admin.token, version: V })).body.instanceActions as { action: string; request_id: string }[];
    const found = actions.find((a) => a.action === action);
    assert.ok(found, `no ${action} action in ${JSON.stringify(actions)}`);
    return until(`the ${action} action's events to finish`, async () => {
      const shown = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${found.request_id}`, { token: c.as.admin.token, version: V });
      const all = shown.body.instanceAction.events as { event: string; result: string | null; traceback?: string }[];
      return all.some((e) => e.result === null) ? undefined : all;
    });
  };
  const waitVolume = async (id: string, status: string) => {
    for (let i = 0; i < 200; i++) {
      const v = (await cinder('GET', `/volumes/${id}`)).body?.volume;
      if (v?.status === status) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`volume ${id} never reached ${status}`);
  };
  const boot = async (name: string) => {
    const res = await c.call('POST', '/v2.1/servers', {
      token: c.as.alice.token, version: V, body: { server: { name, imageRef: c.imageId, flavorRef: '1', networks: [{ uuid: networkId }] } },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await settled(res.body.server.id, 'ACTIVE');
    return res.body.server.id as string;
  };

  before(async () => {
    c = await startCompute({}, { hosts: ['host-a'] });
    networkId = (await rest(c.networkUrl!, 'POST', '/v2.0/networks', c.as.alice.token, { network: { name: 'private' } })).body.network.id;
    await rest(c.networkUrl!, 'POST', '/v2.0/subnets', c.as.alice.token, { subnet: { network_id: networkId, cidr: '10.0.0.0/24', ip_version: 4 } });
  });
  after(async () => { await c?.close(); });

  it('shelves into an image and offloads: no host, no allocation, port unbound, volume disconnected; unshelve brings it all back', async () => {
    const id = await boot('keeper');
    const vol = (await cinder('POST', '/volumes', { volume: { size: 1, name: 'data' } })).body.volume;
    await waitVolume(vol.id, 'available');
    await c.call('POST', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.alice.token, version: V, body: { volumeAttachment: { volumeId: vol.id } } });
    await waitVolume(vol.id, 'in-use');
    const [port] = (await neutron('GET', `/ports?device_id=${id}`)).body.ports;
    const address = port.fixed_ips[0].ip_address;

    assert.equal((await act(id, { shelve: null })).status, 202);
    const offloaded = await settled(id, 'SHELVED_OFFLOADED');
    assert.equal(offloaded['OS-EXT-STS:vm_state'], 'shelved_offloaded');
    assert.equal(offloaded['OS-EXT-SRV-ATTR:host'], null);
    assert.equal(offloaded.hostId, '');
    assert.equal(offloaded['OS-EXT-STS:power_state'], 4);
    assert.equal(offloaded.image.id, c.imageId, 'the server still shows the image it was built from');
    const shelved = (await images()).find((i) => i.name === 'keeper-shelved');
    assert.ok(shelved, 'the shelved image exists');
    assert.equal(shelved.status, 'active');
    const fake = c.drivers['host-a'] as Fake;
    assert.equal(fake.guest(id), undefined, 'the guest left the host');
    assert.deepEqual(await allocations(id), {});
    const unbound = (await neutron('GET', `/ports/${port.id}`)).body.port;
    assert.equal(unbound['binding:host_id'], '');
    assert.equal(unbound.fixed_ips[0].ip_address, address, 'the port keeps its address');
    await waitVolume(vol.id, 'reserved');
    assert.deepEqual(offloaded['os-extended-volumes:volumes_attached'].map((v: { id: string }) => v.id), [vol.id]);
    assert.deepEqual((await events(id, 'shelve')).map((e) => [e.event, e.result]), [['compute_shelve_instance', 'Success']]);

    assert.equal((await act(id, { unshelve: null })).status, 202);
    const back = await settled(id, 'ACTIVE');
    assert.equal(back['OS-EXT-SRV-ATTR:host'], 'host-a');
    assert.equal(back['OS-EXT-STS:power_state'], 1);
    assert.equal(fake.guest(id)?.image?.id, shelved.id, 'the guest was spawned from the shelved image');
    assert.ok(Object.keys(await allocations(id)).length, 'the server holds an allocation again');
    assert.equal((await neutron('GET', `/ports/${port.id}`)).body.port['binding:host_id'], 'host-a');
    assert.equal(back.addresses.private[0].addr, address);
    await waitVolume(vol.id, 'in-use');
    assert.equal(fake.volumes(id).get(vol.id)?.device, '/dev/vdb');
    assert.ok(!(await images()).some((i) => i.id === shelved.id), 'the shelved image is deleted');
    assert.deepEqual((await events(id, 'unshelve')).map((e) => [e.event, e.result]),
      [['schedule_instances', 'Success'], ['compute_unshelve_instance', 'Success']]);
  });

  it('refuses what Nova refuses, and nothing changes', async () => {
    const id = await boot('picky');
    const before = (await images()).length;
    assert.equal((await act(id, { unshelve: null })).status, 409, 'an active server is not shelved');
    assert.equal((await act(id, { shelveOffload: null }, c.as.admin.token)).status, 409, 'only a shelved server is offloaded');
    assert.equal((await act(id, { shelveOffload: null })).status, 403, 'offloading is for admins');
    assert.equal((await act(id, { shelve: { force: true } })).status, 400);
    assert.equal((await act(id, { shelve: 'now' })).status, 400);
    assert.equal((await act(id, { shelve: null }, c.as.bob.token)).status, 404, 'another project');
    assert.equal((await act(id, { shelve: null }, c.as.rita.token)).status, 403, 'a reader');
    assert.equal((await act(id, { lock: null })).status, 202);
    assert.equal((await act(id, { shelve: null })).status, 409, 'locked');
    assert.equal((await act(id, { unlock: null })).status, 202);
    assert.equal((await images()).length, before, 'no image was made by a refused shelve');
    assert.equal((await c.waitForServer(id, c.as.alice.token, (s) => Boolean(s))).status, 'ACTIVE');

    assert.equal((await act(id, { shelve: {} })).status, 202);
    await settled(id, 'SHELVED_OFFLOADED');
    assert.equal((await act(id, { shelve: null })).status, 409, 'already shelved');
    assert.equal((await act(id, { 'os-start': null })).status, 409);
    const az = await act(id, { unshelve: { availability_zone: 'nova' } });
    assert.equal(az.status, 400, 'availability_zone needs 2.77');
    assert.equal((await act(id, { unshelve: null }, c.as.rita.token)).status, 403);
    assert.equal((await c.waitForServer(id, c.as.alice.token, (s) => Boolean(s))).status, 'SHELVED_OFFLOADED');
  });

  it('leaves a server SHELVED_OFFLOADED when no host can take it, saying why in the unshelve\'s event', async () => {
    const id = await boot('homeless');
    assert.equal((await act(id, { shelve: null })).status, 202);
    await settled(id, 'SHELVED_OFFLOADED');
    const admin = (method: string, path: string, body?: unknown) => c.call(method, path, { token: c.as.admin.token, version: V, body });
    const service = (await admin('GET', '/v2.1/os-services?binary=nova-compute')).body.services[0];
    await admin('PUT', `/v2.1/os-services/${service.id}`, { status: 'disabled' });
    try {
      assert.equal((await act(id, { unshelve: null })).status, 202);
      // The API set task_state unshelving before answering, so this waits for the conductor's verdict.
      const after = await settled(id, 'SHELVED_OFFLOADED');
      assert.equal(after['OS-EXT-SRV-ATTR:host'], null);
      const [event] = await events(id, 'unshelve');
      assert.equal(event.event, 'schedule_instances');
      assert.equal(event.result, 'Error');
      assert.match(String(event.traceback), /No valid host/);
      assert.deepEqual(await allocations(id), {});
    } finally {
      await admin('PUT', `/v2.1/os-services/${service.id}`, { status: 'enabled' });
    }
  });

  it('leaves a server whose unshelve fails SHELVED_OFFLOADED with the error in its event, gives its claim back, and keeps the shelved image', async () => {
    const id = await boot('fragile');
    assert.equal((await act(id, { shelve: null })).status, 202);
    await settled(id, 'SHELVED_OFFLOADED');
    const fake = c.drivers['host-a'] as Fake & { spawn: Fake['spawn'] };
    const spawn = fake.spawn;
    fake.spawn = async () => { throw new Error('no room on the disk'); };
    try {
      assert.equal((await act(id, { unshelve: null })).status, 202);
      const failed = await settled(id, 'SHELVED_OFFLOADED');
      assert.equal(failed['OS-EXT-SRV-ATTR:host'], null);
      const actions = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.alice.token, version: V })).body.instanceActions;
      const unshelve = actions.find((a: { action: string }) => a.action === 'unshelve');
      const detail = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${unshelve.request_id}`, { token: c.as.admin.token, version: V })).body.instanceAction;
      assert.ok(detail.events.some((e: { result: string; traceback?: string }) => e.result === 'Error' && /no room on the disk/.test(e.traceback ?? '')), JSON.stringify(detail.events));
    } finally {
      fake.spawn = spawn;
    }
    assert.deepEqual(await allocations(id), {});
    const [port] = (await neutron('GET', `/ports?device_id=${id}`)).body.ports;
    assert.equal(port['binding:host_id'], '');
    assert.ok((await images()).some((i) => i.name === 'fragile-shelved'), 'the guest\'s disk is not lost');

    // Deleting it releases what no agent holds: the shelved image and the port compute made.
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V })).status, 204);
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    assert.ok(!(await images()).some((i) => i.name === 'fragile-shelved'));
    assert.deepEqual((await neutron('GET', `/ports?device_id=${id}`)).body.ports, []);
  });

  it('deletes the image of a shelve whose snapshot fails, and shows the powered-off server as SHUTOFF', async () => {
    const id = await boot('unlucky');
    const fake = c.drivers['host-a'] as Fake & { snapshot: Fake['snapshot'] };
    const snapshot = fake.snapshot;
    fake.snapshot = async () => { throw new Error('disk unreadable'); };
    try {
      assert.equal((await act(id, { shelve: null })).status, 202);
      const s = await settled(id, 'SHUTOFF');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], 'host-a');
    } finally {
      fake.snapshot = snapshot;
    }
    assert.ok(!(await images()).some((i) => i.name === 'unlucky-shelved'), 'no image is left behind');
    const [event] = await events(id, 'shelve');
    assert.equal(event.result, 'Error');
    assert.match(String(event.traceback), /disk unreadable/);
    assert.ok(Object.keys(await allocations(id)).length, 'the server keeps its host and allocation');
  });

  it('deletes an offloaded server with its shelved image and its port', async () => {
    const id = await boot('gone');
    assert.equal((await act(id, { shelve: null })).status, 202);
    await settled(id, 'SHELVED_OFFLOADED');
    assert.ok((await images()).some((i) => i.name === 'gone-shelved'));
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V })).status, 204);
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    assert.ok(!(await images()).some((i) => i.name === 'gone-shelved'));
    assert.deepEqual((await neutron('GET', `/ports?device_id=${id}`)).body.ports, []);
  });
});

describe('shelve with a delayed offload (shelved_offload_time 3 s)', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({ shelved_offload_time: 3, shelved_poll_interval: 1 }, { hosts: ['host-a'] }); });
  after(async () => { await c?.close(); });
  const act = (id: string, body: unknown, token = c.as.alice.token) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version: V, body });
  const settled = (id: string, status: string, timeoutMs?: number) =>
    c.waitForServer(id, c.as.admin.token, (s) => s?.status === status && s?.['OS-EXT-STS:task_state'] === null, timeoutMs);
  const lastEvents = async (id: string) => {
    const [latest] = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.admin.token, version: V })).body.instanceActions;
    const shown = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${latest.request_id}`, { token: c.as.admin.token, version: V });
    return [latest.action, ...shown.body.instanceAction.events.map((e: { event: string; result: string }) => `${e.event}:${e.result}`)];
  };
  /** The latest action's events once each has a result: the server's state is saved before its event finishes, as in Nova. */
  const finishedEvents = (id: string) => until('the action\'s events to finish', async () => {
    const events = await lastEvents(id);
    return events.some((e) => e.endsWith(':null')) ? undefined : events;
  });

  it('keeps a shelved server on its host powered off, powers it on in place, offloads on request or when its time is up', async () => {
    const res = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'slow', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    const id = res.body.server.id as string;
    await settled(id, 'ACTIVE');
    const fake = c.drivers['host-a'] as Fake;

    assert.equal((await act(id, { shelve: null })).status, 202);
    const shelved = await settled(id, 'SHELVED');
    assert.equal(shelved['OS-EXT-SRV-ATTR:host'], 'host-a');
    assert.equal(await fake.powerState({ uuid: id }), 'shutdown');
    assert.equal((await act(id, { unshelve: null })).status, 202);
    await settled(id, 'ACTIVE');
    assert.equal(await fake.powerState({ uuid: id }), 'running');
    assert.equal(fake.guest(id)?.image?.id, c.imageId, 'the same guest, powered on again');
    assert.deepEqual(await finishedEvents(id), ['unshelve', 'compute_start_instance:Success']);

    assert.equal((await act(id, { shelve: null })).status, 202);
    await settled(id, 'SHELVED');
    assert.equal((await act(id, { shelveOffload: null }, c.as.admin.token)).status, 202);
    await settled(id, 'SHELVED_OFFLOADED');
    assert.deepEqual(await finishedEvents(id), ['shelveOffload', 'compute_shelve_offload_instance:Success']);
    assert.equal(fake.guest(id), undefined);

    assert.equal((await act(id, { unshelve: null })).status, 202);
    await settled(id, 'ACTIVE');
    assert.equal((await act(id, { shelve: null })).status, 202);
    const at = Date.now();
    await settled(id, 'SHELVED');
    await settled(id, 'SHELVED_OFFLOADED', 15_000);
    assert.ok(Date.now() - at >= 2_500, 'offloaded only once shelved_offload_time had passed');
    assert.equal(fake.guest(id), undefined);
  });
});
