// Nova's versioned notifications of a boot, a stop/start, a reboot, a delete and a failed build, as a listener on the bus sees them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sharedMemoryBus } from '#lib/bus/index.ts';
import type { Bus, Notification } from '#lib/bus/index.ts';
import { createFakeDriver } from '../roles.ts';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

const V = '2.60';
type Data = Record<string, unknown> & { uuid: string; state: string; task_state: string | null; power_state: string };
const data = (n: Notification) => (n.payload as { 'nova_object.data': Data })['nova_object.data'];

describe('compute: versioned notifications', () => {
  let c: TestCompute;
  let bus: Bus;
  const seen: Notification[] = [];
  // Spawns of servers named "doomed" fail, so a build that cannot succeed anywhere (max_attempts 1) is announced.
  const driver = createFakeDriver({ nodeName: 'host-a', vcpus: 8, memoryMb: 16384, localGb: 100 });
  const spawn = driver.spawn.bind(driver);
  driver.spawn = async (opts) => {
    if (opts.guest.name === 'doomed') throw new Error('simulated hypervisor failure');
    return spawn(opts);
  };
  before(async () => {
    c = await startCompute({ max_attempts: 1, notification_format: 'versioned' }, { hosts: ['host-a'], drivers: { 'host-a': driver } });
    bus = sharedMemoryBus(c.busName);
    await bus.onNotification('test-listener', (n) => { seen.push(n); });
  });
  after(async () => { await bus?.close(); await c?.close(); });

  const of = (id: string) => seen.filter((n) => n.topic === 'versioned_notifications' && data(n)?.uuid === id);
  const actions = (id: string) => of(id).filter((n) => n.eventType !== 'instance.update').map((n) => n.eventType);
  async function until(what: string, ok: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(ok(), `waited for ${what}`);
  }
  const action = async (id: string, body: Record<string, unknown>, status: string) => {
    const res = await c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: V, body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === status && !s['OS-EXT-STS:task_state']);
  };

  it('announces a boot, a stop and start, a reboot and a delete with the instance as it is at each step', async () => {
    const res = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V,
      body: { server: { name: 'noted', imageRef: c.imageId, flavorRef: '1', networks: 'none', metadata: { role: 'web' } } } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id as string;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    await until('instance.create.end', () => actions(id).includes('instance.create.end'));

    const start = of(id).find((n) => n.eventType === 'instance.create.start')!;
    const end = of(id).find((n) => n.eventType === 'instance.create.end')!;
    assert.equal(end.publisherId, 'nova-compute:host-a');
    assert.equal(end.priority, 'INFO');
    assert.ok(end.messageId && end.timestamp);
    const payload = end.payload as Record<string, unknown>;
    assert.deepEqual([payload['nova_object.name'], payload['nova_object.namespace'], payload['nova_object.version']], ['InstanceCreatePayload', 'nova', '1.12']);
    assert.deepEqual([data(start).state, data(start).task_state], ['building', 'scheduling']);
    const d = data(end);
    assert.deepEqual([d.state, d.task_state, d.power_state, d.host, d.display_name], ['active', null, 'running', 'host-a', 'noted']);
    assert.deepEqual([d.tenant_id, d.user_id, d.image_uuid, d.metadata], [c.as.alice.projectId, c.as.alice.userId, c.imageId, { role: 'web' }]);
    assert.equal((d.flavor as { 'nova_object.data': { flavorid: string } })['nova_object.data'].flavorid, '1');
    assert.ok(d.launched_at);
    // The task states the build went through, each announced by instance.update between start and end.
    const updates = of(id).filter((n) => n.eventType === 'instance.update')
      .map((n) => (data(n).state_update as { 'nova_object.data': { new_task_state: string | null } })['nova_object.data'].new_task_state);
    assert.deepEqual(updates.slice(-4), ['networking', 'block_device_mapping', 'spawning', null], JSON.stringify(updates));
    const order = of(id).map((n) => n.eventType);
    assert.ok(order.indexOf('instance.create.start') < order.indexOf('instance.update') && order.at(-1) === 'instance.create.end', order.join());

    await action(id, { 'os-stop': null }, 'SHUTOFF');
    await action(id, { 'os-start': null }, 'ACTIVE');
    await until('instance.power_on.end', () => actions(id).includes('instance.power_on.end'));
    assert.deepEqual(actions(id).slice(2), ['instance.power_off.start', 'instance.power_off.end', 'instance.power_on.start', 'instance.power_on.end']);
    const power = of(id).filter((n) => n.eventType.startsWith('instance.power_')).map((n) => [data(n).state, data(n).task_state, data(n).power_state]);
    assert.deepEqual(power, [
      ['active', 'powering-off', 'running'], ['stopped', null, 'shutdown'], ['stopped', 'powering-on', 'shutdown'], ['active', null, 'running'],
    ]);

    await action(id, { reboot: { type: 'SOFT' } }, 'ACTIVE');
    await until('instance.reboot.end', () => actions(id).includes('instance.reboot.end'));
    assert.deepEqual(actions(id).slice(6), ['instance.reboot.start', 'instance.reboot.end']);

    const del = await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    assert.equal(del.status, 204);
    await until('instance.delete.end', () => actions(id).includes('instance.delete.end'));
    assert.deepEqual(actions(id).slice(8), ['instance.delete.start', 'instance.shutdown.start', 'instance.shutdown.end', 'instance.delete.end']);
    const gone = data(of(id).find((n) => n.eventType === 'instance.delete.end')!);
    assert.deepEqual([gone.state, gone.power_state], ['deleted', 'pending']);
    assert.ok(gone.deleted_at && gone.terminated_at);
  });

  it('announces a failed build as instance.create.error with the fault', async () => {
    const res = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V,
      body: { server: { name: 'doomed', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    const id = res.body.server.id as string;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ERROR', 15_000);
    await until('instance.create.error', () => actions(id).includes('instance.create.error'));
    assert.deepEqual(actions(id), ['instance.create.start', 'instance.create.error']);
    const error = of(id).find((n) => n.eventType === 'instance.create.error')!;
    assert.equal(error.priority, 'ERROR');
    const fault = (data(error).fault as { 'nova_object.data': { exception_message: string } })['nova_object.data'];
    assert.equal(fault.exception_message, 'simulated hypervisor failure');
  });
});
