// notification_format picks which of Nova's notifications compute publishes, on which topics, under which publisher.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBus } from '#lib/bus/index.ts';
import type { Notification } from '#lib/bus/index.ts';
import { silentLogger } from '#lib/log.ts';
import type { Instance } from '../domain/instance.ts';
import { createComputeNotifier } from './compute-notifier.ts';
import type { NotificationFormat } from './compute-notifier.ts';

const instance: Instance = {
  uuid: '6f1c2a0e-0000-4000-8000-000000000001', name: 'web', description: null, projectId: 'p1', userId: 'u1', imageRef: 'img-1',
  flavor: { id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1, ephemeral: 0, swap: 0, rxtxFactor: 1, isPublic: true, disabled: false, description: null, extraSpecs: {} },
  keyName: null, keyData: null, userData: null, availabilityZone: 'nova', hostname: 'web', host: 'h1', node: 'h1', vmState: 'active', taskState: null,
  powerState: 1, configDrive: false, accessIpV4: null, accessIpV6: null, locked: false, lockedBy: null, reservationId: 'r-1', launchIndex: 0,
  requestedNetworks: 'none', securityGroups: [], requestSpec: { triedHosts: [], attempts: 1, hints: {} }, fault: null, metadata: {},
  networkInfo: [{ portId: 'port-1', networkId: 'net-1', networkName: 'private', macAddress: 'fa:16:3e:00:00:01', createdByCompute: true,
    ips: [{ address: '10.0.0.5', version: 4, type: 'fixed' }, { address: '172.24.4.9', version: 4, type: 'floating' }] }],
  launchedAt: null, terminatedAt: null, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', deletedAt: null, deleted: false,
};
const ctx = { requestId: 'req-1', globalRequestId: 'req-1', userId: 'u1', projectId: 'p1' };

// Waits for `expected` deliveries (or, with 0, a moment in which none may arrive).
async function publishWith(format: NotificationFormat, expected: number): Promise<Notification[]> {
  const bus = await createBus('memory://');
  const seen: Notification[] = [];
  await bus.onNotification('listener', (n) => { seen.push(n); });
  const notifier = createComputeNotifier(bus, { format, versionedTopics: ['versioned_notifications'], legacyTopics: ['notifications', 'billing'],
    publisher: { binary: 'nova-compute', host: 'h1' }, log: silentLogger() });
  notifier.instanceAction(ctx, instance, { action: 'power_off', phase: 'start' });
  notifier.instanceUpdate(ctx, instance, { ...instance, taskState: 'powering-off' });
  notifier.instanceUpdate(ctx, instance, { ...instance, name: 'renamed' });
  for (let i = 0; i < 80 && (expected === 0 ? i < 4 : seen.length < expected); i++) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 50)); // anything extra would have arrived by now
  await bus.close();
  return seen;
}

describe('compute notifier', () => {
  it('publishes versioned notifications by default shape: nova objects on versioned_notifications from nova-compute:<host>', async () => {
    const seen = await publishWith('versioned', 2);
    assert.deepEqual(seen.map((n) => [n.eventType, n.topic, n.publisherId]), [
      ['instance.power_off.start', 'versioned_notifications', 'nova-compute:h1'], ['instance.update', 'versioned_notifications', 'nova-compute:h1'],
    ], 'an update that changes no state is not announced');
    const data = (seen[0].payload as { 'nova_object.data': Record<string, unknown> })['nova_object.data'];
    assert.deepEqual((data.ip_addresses as { 'nova_object.data': { address: string; port_uuid: string } }[]).map((ip) => ip['nova_object.data'].address), ['10.0.0.5']);
    assert.deepEqual([data.request_id, data.action_initiator_user, data.power_state, data.fault], ['req-1', 'u1', 'running', null]);
    const update = (seen[1].payload as { 'nova_object.data': { state_update: { 'nova_object.data': Record<string, unknown> } } })['nova_object.data'];
    assert.deepEqual(update.state_update['nova_object.data'], { old_state: 'active', state: 'active', old_task_state: null, new_task_state: 'powering-off' });
  });

  it('publishes the legacy compute.instance.* ones on every configured topic when unversioned, both with both, nothing with none', async () => {
    const legacy = await publishWith('unversioned', 4);
    assert.deepEqual(legacy.map((n) => [n.eventType, n.topic, n.publisherId]), [
      ['compute.instance.power_off.start', 'notifications', 'compute.h1'], ['compute.instance.power_off.start', 'billing', 'compute.h1'],
      ['compute.instance.update', 'notifications', 'compute.h1'], ['compute.instance.update', 'billing', 'compute.h1'],
    ]);
    assert.deepEqual([(legacy[0].payload as { instance_id: string }).instance_id, (legacy[2].payload as { new_task_state: string }).new_task_state],
      [instance.uuid, 'powering-off']);
    assert.equal((await publishWith('both', 6)).length, 6);
    assert.equal((await publishWith('none', 0)).length, 0);
  });
});
