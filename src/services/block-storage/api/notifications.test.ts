// The conductor publishes Cinder's notifications once outcomes are recorded, for telemetry to meter volumes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBus } from '#lib/bus/index.ts';
import type { Bus, Notification } from '#lib/bus/index.ts';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';

describe('block storage: notifications', () => {
  let c: TestBlockStorage;
  let bus: Bus;
  const seen: Notification[] = [];
  before(async () => {
    c = await startBlockStorageForTest();
    bus = await createBus(c.options.bus_url);
    await bus.onNotification('test-listener', (n) => { seen.push(n); });
  });
  after(async () => { await bus?.close(); await c?.close(); });

  it('announces volume create, resize and delete, and snapshot create and delete, with the project and size', async () => {
    const { alice } = c.as;
    const v = await c.createVolume(alice, { size: 1, name: 'metered' });
    await c.call('POST', c.p(alice, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-extend': { new_size: 2 } } });
    await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['available']);
    const s = await c.call('POST', c.p(alice, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: v.id } } });
    await c.waitFor(alice, c.p(alice, `/snapshots/${s.body.snapshot.id}`), ['available']);
    await c.call('DELETE', c.p(alice, `/volumes/${v.id}?cascade=true`), { token: alice.token });
    await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['gone']);
    for (let i = 0; i < 50 && seen.length < 5; i++) await new Promise((d) => setTimeout(d, 20));
    const mine = seen.filter((n) => (n.payload as { volume_id: string }).volume_id === v.id);
    assert.deepEqual(mine.map((n) => n.eventType).sort(), ['snapshot.create.end', 'snapshot.delete.end', 'volume.create.end', 'volume.delete.end', 'volume.resize.end']);
    const resize = mine.find((n) => n.eventType === 'volume.resize.end')!;
    assert.deepEqual([(resize.payload as { size: number }).size, (resize.payload as { tenant_id: string }).tenant_id], [2, alice.projectId]);
    assert.equal(resize.publisherId, 'volume.localhost');
  });
});
