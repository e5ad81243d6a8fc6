// rescue_timeout (Nova's _poll_rescued_instances) through the whole flow on the fake driver: a rescued server is
// unrescued by its agent once rescue_timeout seconds have passed since the rescue, with an unrescue action of its own;
// with the default 0 a rescued server stays rescued.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import type { FakeDriver } from '../agent/drivers/fake/fake-driver.ts';
import { rescueExpired } from '../agent/rescue-periodic.ts';

async function bootAndRescue(c: TestCompute): Promise<{ id: string; rescuedAt: number }> {
  const res = await c.call('POST', '/v2.1/servers', {
    token: c.as.alice.token, version: '2.60', body: { server: { name: 'rescue-timeout', imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const id = res.body.server.id;
  await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
  const rescued = await c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: '2.60', body: { rescue: null } });
  assert.equal(rescued.status, 200);
  await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'RESCUE' && s['OS-EXT-STS:task_state'] === null);
  return { id, rescuedAt: Date.now() };
}

describe('rescueExpired', () => {
  it('counts from launched_at and never expires with 0', () => {
    const now = new Date('2026-01-01T00:10:00Z');
    assert.equal(rescueExpired('2026-01-01T00:00:00Z', 600, now), true);
    assert.equal(rescueExpired('2026-01-01T00:00:01Z', 600, now), false);
    assert.equal(rescueExpired('2026-01-01T00:00:00Z', 0, now), false);
    assert.equal(rescueExpired(null, 600, now), false);
  });
});

describe('rescue_timeout 2 s', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({ rescue_timeout: 2, report_interval: 1 }, { hosts: ['host-a'] }); });
  after(async () => { await c?.close(); });

  it('unrescues a server rescued longer than rescue_timeout, recording an unrescue action', async () => {
    const fake = c.drivers['host-a'] as FakeDriver;
    const { id, rescuedAt } = await bootAndRescue(c);
    assert.ok(fake.rescued(id));
    const back = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null, 10_000);
    assert.ok(Date.now() - rescuedAt >= 1_500, 'unrescued only once rescue_timeout had passed');
    assert.equal(back['OS-EXT-STS:vm_state'], 'active');
    assert.equal(fake.rescued(id), undefined);
    const actions = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.alice.token, version: '2.60' })).body.instanceActions;
    const unrescue = actions.find((a: { action: string }) => a.action === 'unrescue');
    assert.ok(unrescue, JSON.stringify(actions));
    const events = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${unrescue.request_id}`, { token: c.as.admin.token, version: '2.60' })).body.instanceAction.events;
    assert.deepEqual(events.map((e: { event: string; result: string }) => [e.event, e.result]), [['compute_unrescue_instance', 'Success']]);
  });
});

describe('rescue_timeout 0 (the default)', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({ report_interval: 1 }, { hosts: ['host-a'] }); });
  after(async () => { await c?.close(); });

  it('leaves a rescued server rescued', async () => {
    const { id } = await bootAndRescue(c);
    await new Promise((r) => setTimeout(r, 3_000));
    const s = (await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: '2.60' })).body.server;
    assert.equal(s.status, 'RESCUE');
  });
});
