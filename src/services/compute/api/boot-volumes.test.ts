// Volumes through Compute: attach reserves the volume in Block Storage, the agent connects it with its host's
// connector and plugs it into the guest, the volume turns in-use and the server lists it; detach and server delete
// release it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import type { createFakeDriver } from '../roles.ts';

const V = '2.60';

describe('volumes attached through compute', () => {
  let c: TestCompute;
  const cinder = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${c.volumeUrl}${path}`, {
      method, headers: { 'x-auth-token': token, 'openstack-api-version': 'volume 3.60', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const waitVolume = async (id: string, status: string) => {
    for (let i = 0; i < 200; i++) {
      const v = (await cinder('GET', `/volumes/${id}`, c.as.alice.token)).body?.volume;
      if (v?.status === status) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`volume ${id} never reached ${status}`);
  };
  before(async () => { c = await startCompute({}, { hosts: ['host-a'] }); });
  after(async () => { await c?.close(); });

  it('attaches a volume, shows it on the server, detaches it, and frees it when the server is deleted', async () => {
    const vol = (await cinder('POST', '/volumes', c.as.alice.token, { volume: { size: 1, name: 'data' } })).body.volume;
    await waitVolume(vol.id, 'available');
    const boot = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'vol-vm', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    const id = boot.body.server.id;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');

    const attach = await c.call('POST', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.alice.token, version: V, body: { volumeAttachment: { volumeId: vol.id } } });
    assert.equal(attach.status, 200, JSON.stringify(attach.body));
    assert.equal(attach.body.volumeAttachment.device, '/dev/vdb');
    const inUse = await waitVolume(vol.id, 'in-use');
    assert.equal(inUse.attachments[0].server_id, id);
    const fake = c.drivers['host-a'] as ReturnType<typeof createFakeDriver>;
    assert.equal(fake.volumes(id).get(vol.id)?.device, '/dev/vdb');
    assert.ok(fake.volumes(id).get(vol.id)?.connectionInfo, 'the agent passed Block Storage\'s connection info to the driver');
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.['os-extended-volumes:volumes_attached'].length === 1);
    assert.equal(server['os-extended-volumes:volumes_attached'][0].id, vol.id);
    const again = await c.call('POST', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.alice.token, version: V, body: { volumeAttachment: { volumeId: vol.id } } });
    assert.equal(again.status, 409);
    const list = await c.call('GET', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.alice.token, version: V });
    assert.deepEqual(list.body.volumeAttachments.map((a: { volumeId: string }) => a.volumeId), [vol.id]);
    assert.equal((await c.call('POST', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.bob.token, version: V, body: { volumeAttachment: { volumeId: vol.id } } })).status, 404);
    const missing = await c.call('POST', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.alice.token, version: V, body: { volumeAttachment: { volumeId: '00000000-0000-0000-0000-000000000000' } } });
    assert.equal(missing.status, 404);

    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}/os-volume_attachments/${vol.id}`, { token: c.as.alice.token, version: V })).status, 202);
    await waitVolume(vol.id, 'available');
    assert.equal(fake.volumes(id).size, 0);

    await c.call('POST', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.alice.token, version: V, body: { volumeAttachment: { volumeId: vol.id } } });
    await waitVolume(vol.id, 'in-use');
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    await waitVolume(vol.id, 'available');
  });
});
