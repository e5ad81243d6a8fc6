// Rescue and unrescue through the whole flow on the fake driver: the rescue password in the answer and in the driver,
// the server's own image or the one asked for, RESCUE and back to ACTIVE, from SHUTOFF too, the instance actions and
// their events, stable device rescue from the image's properties; refusals that change nothing; a driver failure
// that ends in ERROR with a fault.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import type { FakeDriver } from '../agent/drivers/fake/fake-driver.ts';

describe('rescue and unrescue', () => {
  let c: TestCompute;
  let fake: FakeDriver;
  let server: string;
  before(async () => {
    c = await startCompute({}, { hosts: ['host-a'] });
    fake = c.drivers['host-a'] as FakeDriver;
    const res = await c.call('POST', '/v2.1/servers', {
      token: c.as.alice.token, version: '2.60', body: { server: { name: 'rescue-me', imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    server = res.body.server.id;
    await c.waitForServer(server, c.as.alice.token, (s) => s?.status === 'ACTIVE');
  });
  after(async () => { await c?.close(); });

  const act = (body: unknown, token = c.as.alice.token, id = server) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version: '2.60', body });
  const settled = (want: string) => c.waitForServer(server, c.as.alice.token, (s) => s?.status === want && s['OS-EXT-STS:task_state'] === null);
  const setImageProps = async (id: string, props: Record<string, string>) => {
    const res = await fetch(`${c.imageUrl}/v2/images/${id}`, {
      method: 'PATCH', headers: { 'x-auth-token': c.as.admin.token, 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify(Object.entries(props).map(([k, v]) => ({ op: 'add', path: `/${k}`, value: v }))),
    });
    assert.equal(res.status, 200, await res.text());
  };

  it('rescues from the server\'s own image with a generated password, records the action, and unrescues', async () => {
    const res = await act({ rescue: null });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body), ['adminPass']);
    assert.match(res.body.adminPass, /^[A-Za-z0-9]{12}$/);
    const s = await settled('RESCUE');
    assert.equal(s['OS-EXT-STS:vm_state'], 'rescued');
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.deepEqual(fake.rescued(server), { imageId: c.imageId, stableDevice: false, password: res.body.adminPass, configDrive: false });
    const log = await act({ 'os-getConsoleOutput': {} });
    assert.match(log.body.output, new RegExp(`rescued: booted from image ${c.imageId}`));

    const un = await act({ unrescue: null });
    assert.equal(un.status, 202);
    assert.equal(un.body, undefined);
    const back = await settled('ACTIVE');
    assert.equal(back['OS-EXT-STS:vm_state'], 'active');
    assert.equal(fake.rescued(server), undefined);
    const actions = (await c.call('GET', `/v2.1/servers/${server}/os-instance-actions`, { token: c.as.alice.token, version: '2.60' })).body.instanceActions;
    const rescue = actions.find((a: { action: string }) => a.action === 'rescue');
    assert.ok(rescue && actions.some((a: { action: string }) => a.action === 'unrescue'), JSON.stringify(actions));
    const events = (await c.call('GET', `/v2.1/servers/${server}/os-instance-actions/${rescue.request_id}`, { token: c.as.admin.token, version: '2.60' })).body.instanceAction.events;
    assert.deepEqual(events.map((e: { event: string; result: string }) => [e.event, e.result]), [['compute_rescue_instance', 'Success']]);
  });

  it('rescues a stopped server from another image with the given password, in stable device mode when the image asks', async () => {
    await act({ 'os-stop': null });
    await settled('SHUTOFF');
    const other = await c.uploadImage();
    await setImageProps(other, { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' });
    const res = await act({ rescue: { adminPass: 'Sesame-42', rescue_image_ref: other } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { adminPass: 'Sesame-42' });
    await settled('RESCUE');
    assert.deepEqual(fake.rescued(server), { imageId: other, stableDevice: true, password: 'Sesame-42', configDrive: false });
    assert.equal((await act({ unrescue: null })).status, 202);
    const back = await settled('ACTIVE');
    assert.equal(back['OS-EXT-STS:power_state'], 1);
  });

  it('refuses bad input, other projects, readers, locks and wrong states, changing nothing', async () => {
    const unknownImage = '6f1c8f8e-2c6b-4a8e-9d0e-0a0b0c0d0e0f';
    assert.equal((await act({ rescue: { bogus: 1 } })).status, 400);
    assert.equal((await act({ rescue: { rescue_image_ref: 'not-a-uuid' } })).status, 400);
    assert.equal((await act({ rescue: { adminPass: 7 } })).status, 400);
    assert.equal((await act({ rescue: 'now' })).status, 400);
    const missing = await act({ rescue: { rescue_image_ref: unknownImage } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.badRequest.message, `Requested rescue image '${unknownImage}' is not supported`);
    const odd = await c.uploadImage();
    await setImageProps(odd, { hw_rescue_device: 'cdrom', hw_rescue_bus: 'ide' });
    const cdrom = await act({ rescue: { rescue_image_ref: odd } });
    assert.equal(cdrom.status, 400);
    assert.match(cdrom.body.badRequest.message, /cannot be rescued: .*virtio disk/);
    assert.equal((await act({ rescue: null }, c.as.bob.token)).status, 404);
    assert.equal((await act({ rescue: null }, c.as.rita.token)).status, 403);
    assert.equal((await act({ unrescue: null }, c.as.rita.token)).status, 403);
    const notRescued = await act({ unrescue: null });
    assert.equal(notRescued.status, 409);
    assert.equal(notRescued.body.conflictingRequest.message, `Cannot 'unrescue' instance ${server} while it is in vm_state active`);
    assert.equal((await act({ lock: null })).status, 202);
    const locked = await act({ rescue: null });
    assert.equal(locked.status, 409);
    assert.equal(locked.body.conflictingRequest.message, `Instance ${server} is locked`);
    assert.equal((await act({ unlock: null })).status, 202);
    const s = await settled('ACTIVE');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.equal(fake.rescued(server), undefined);

    await act({ rescue: null });
    await settled('RESCUE');
    const again = await act({ rescue: null });
    assert.equal(again.status, 409);
    assert.equal(again.body.conflictingRequest.message, `Cannot 'rescue' instance ${server} while it is in vm_state rescued`);
    assert.equal((await act({ 'os-stop': null })).status, 409);
    await act({ unrescue: null });
    await settled('ACTIVE');
  });

  it('puts the server in ERROR with a fault when the driver cannot rescue it, and a rescue from ERROR works', async () => {
    const driver = fake as unknown as { rescue: unknown };
    const original = driver.rescue;
    driver.rescue = async () => { throw new Error('rescue disk unwritable'); };
    try {
      assert.equal((await act({ rescue: null })).status, 200);
      const s = await settled('ERROR');
      assert.match(s.fault.message, new RegExp(`Instance ${server} cannot be rescued: Driver Error: rescue disk unwritable`));
    } finally {
      driver.rescue = original;
    }
    assert.equal((await act({ rescue: null })).status, 200);
    await settled('RESCUE');
    await act({ unrescue: null });
    await settled('ACTIVE');
  });
});
