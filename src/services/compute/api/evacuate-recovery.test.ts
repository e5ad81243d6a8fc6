// Evacuate's notifications as a listener sees them (Nova's API announces instance.evacuate, the destination
// instance.rebuild.start/end), and an evacuation whose cast to its destination was lost: a conductor's recovery puts
// the server in ERROR on its source with its claim given back, and it can be evacuated again. Servers start on host-c,
// whose agent then stops and whose service is forced down; host-b's agent is stopped while its service still looks up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '#lib/config/options.ts';
import { sharedMemoryBus } from '#lib/bus/index.ts';
import type { Bus, Notification } from '#lib/bus/index.ts';
import { silentLogger } from '#lib/log.ts';
import { until } from '#lib/test-wait.ts';
import { computeOptions, createComputeAgent, createConductor } from '../roles.ts';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

const V = '2.60';
type Data = Record<string, unknown> & { uuid: string; state: string; task_state: string | null; host: string };
const data = (n: Notification) => (n.payload as { 'nova_object.data': Data })['nova_object.data'];

describe('evacuate: notifications and a lost cast', () => {
  let c: TestCompute;
  let bus: Bus;
  const seen: Notification[] = [];
  const running: Record<string, { close(): Promise<void> } | undefined> = {};
  let conductor2: { close(): Promise<void> } | undefined;
  const ids: Record<string, string> = {};

  const roleDeps = (extra: Record<string, unknown> = {}) => ({
    options: resolveOptions('compute', computeOptions, { report_interval: 1, notification_format: 'versioned', ...extra }, {}), authUrl: c.authUrl,
    servicePassword: c.novaPassword, bus: sharedMemoryBus(c.busName), log: silentLogger(),
  });
  const startAgent = async (host: string) => { running[host] = await createComputeAgent({ ...roleDeps(), host }); };
  const stopAgent = async (host: string) => { await running[host]?.close(); running[host] = undefined; };
  const setService = async (host: string, body: Record<string, unknown>) => {
    const id = (await c.call('GET', `/v2.1/os-services?host=${host}&binary=nova-compute`, { token: c.as.admin.token, version: '2.53' })).body.services[0].id;
    const res = await c.call('PUT', `/v2.1/os-services/${id}`, { token: c.as.admin.token, version: '2.53', body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const evacuate = (id: string, args: unknown, version = V) => c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.admin.token, version, body: { evacuate: args } });
  const show = async (id: string) => (await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.admin.token, version: V })).body.server;
  const migrationOf = async (id: string) =>
    ((await c.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.as.admin.token, version: '2.59' })).body.migrations as Record<string, string>[])[0];
  const of = (id: string) => seen.filter((n) => n.topic === 'versioned_notifications' && data(n)?.uuid === id && n.eventType !== 'instance.update');

  before(async () => {
    c = await startCompute({ notification_format: 'versioned' }, { hosts: ['host-a'] });
    bus = sharedMemoryBus(c.busName);
    await bus.onNotification('test-listener', (n) => { seen.push(n); });
    for (const host of ['host-b', 'host-c']) await startAgent(host);
    // Every server lands on host-c while the other hosts are disabled.
    await until('host-b and host-c to report', async () => Boolean(await c.nodeUuidOf('host-b').catch(() => '') && await c.nodeUuidOf('host-c').catch(() => '')), { retryErrors: true });
    for (const host of ['host-a', 'host-b']) await setService(host, { status: 'disabled' });
    for (const name of ['noted', 'missed', 'lost']) ids[name] = await c.bootActive(`evac-${name}`);
    for (const host of ['host-a', 'host-b']) await setService(host, { status: 'enabled' });
    for (const id of Object.values(ids)) assert.equal(await c.hostOf(id), 'host-c');
    await stopAgent('host-c');
    await setService('host-c', { forced_down: true });
  });
  after(async () => {
    await bus?.close();
    await conductor2?.close();
    for (const host of Object.keys(running)) await stopAgent(host);
    await c?.close();
  });

  it('announces instance.evacuate from the API, then the rebuild on the destination', async () => {
    const id = ids.noted;
    assert.equal((await evacuate(id, { host: 'host-a' })).status, 200);
    await c.waitForServer(id, c.as.admin.token, (s) => s?.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null && s['OS-EXT-SRV-ATTR:host'] === 'host-a');
    await until('instance.rebuild.end', () => of(id).some((n) => n.eventType === 'instance.rebuild.end'));
    assert.deepEqual(of(id).map((n) => n.eventType), ['instance.create.start', 'instance.create.end', 'instance.evacuate', 'instance.rebuild.start', 'instance.rebuild.end']);
    const [evac, start, end] = of(id).slice(2);
    assert.match(evac.publisherId, /^nova-api:/);
    assert.equal(evac.priority, 'INFO');
    assert.equal((evac.payload as Record<string, unknown>)['nova_object.name'], 'InstanceActionPayload');
    assert.deepEqual([data(evac).state, data(evac).task_state, data(evac).host], ['active', 'rebuilding', 'host-c'], 'as the API left it: still on its source');
    assert.equal(start.publisherId, 'nova-compute:host-a');
    assert.deepEqual([data(end).state, data(end).task_state, data(end).host], ['active', null, 'host-a']);
  });

  it('undoes an evacuation whose cast its destination missed while down, when that destination starts', async () => {
    const id = ids.missed;
    await stopAgent('host-b');
    assert.equal((await evacuate(id, { host: 'host-b', force: true }, '2.29')).status, 200);
    const claimed = await until('the conductor to claim host-b', async () => {
      const m = await migrationOf(id);
      return m?.dest_node ? m : undefined;
    });
    assert.equal(claimed.status, 'accepted');
    await startAgent('host-b');
    const s = await show(id);
    assert.deepEqual([s.status, s['OS-EXT-STS:task_state'], s['OS-EXT-SRV-ATTR:host']], ['ERROR', null, 'host-c']);
    assert.match(s.fault.message, /interrupted by a restart of its destination/);
    assert.equal((await migrationOf(id)).status, 'failed');
    assert.deepEqual(Object.keys(await c.allocationsOf(id)), [await c.nodeUuidOf('host-c')]);
    assert.deepEqual(await c.allocationsOf(claimed.uuid), {});
  });

  it('puts a server whose evacuation cast was lost in ERROR on its source, with its claim given back', async () => {
    const id = ids.lost;
    // host-b's agent stops, but its heartbeat is recent: a forced evacuation there is accepted and its cast dropped.
    await stopAgent('host-b');
    assert.equal((await evacuate(id, { host: 'host-b', force: true }, '2.29')).status, 200);
    const claimed = await until('the conductor to claim host-b', async () => {
      const m = await migrationOf(id);
      return m?.dest_node ? m : undefined;
    });
    const [nodeB, nodeC] = [await c.nodeUuidOf('host-b'), await c.nodeUuidOf('host-c')];
    assert.deepEqual(Object.keys(await c.allocationsOf(id)), [nodeB]);
    assert.deepEqual(Object.keys(await c.allocationsOf(claimed.uuid)), [nodeC]);
    assert.equal((await show(id))['OS-EXT-STS:task_state'], 'rebuilding');

    // A conductor (re)starting with a short service_down_time finds the evacuation stuck in accepted.
    conductor2 = await createConductor({ ...roleDeps({ service_down_time: 1 }), databaseUrl: c.databaseUrl, serverName: 'conductor-2' });
    const s = await c.waitForServer(id, c.as.admin.token, (v) => v?.status === 'ERROR', 15_000);
    assert.deepEqual([s['OS-EXT-STS:task_state'], s['OS-EXT-SRV-ATTR:host']], [null, 'host-c']);
    assert.match(s.fault.message, /evacuation was lost/);
    assert.equal((await migrationOf(id)).status, 'error');
    assert.deepEqual(Object.keys(await c.allocationsOf(id)), [nodeC], 'the server holds its source again');
    assert.deepEqual(await c.allocationsOf(claimed.uuid), {});
    const actions = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.admin.token, version: V })).body.instanceActions as { action: string; request_id: string }[];
    const action = actions.find((a) => a.action === 'evacuate')!;
    const events = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${action.request_id}`, { token: c.as.admin.token, version: V })).body.instanceAction.events as { event: string; result: string }[];
    assert.deepEqual(events.map((e) => [e.event, e.result]), [['rebuild_server', 'Success'], ['compute_rebuild_instance', 'Error']]);

    // host-b comes back and never takes it; the ERROR server can be evacuated again.
    await startAgent('host-b');
    assert.equal((await evacuate(id, { host: 'host-a' })).status, 200);
    const moved = await c.waitForServer(id, c.as.admin.token, (v) => v?.status === 'ACTIVE' && v['OS-EXT-STS:task_state'] === null, 15_000);
    assert.equal(moved['OS-EXT-SRV-ATTR:host'], 'host-a');
    assert.deepEqual(Object.keys(await c.allocationsOf(id)), [await c.nodeUuidOf('host-a')]);
  });
});
