// In-use extend end to end (fake hypervisor, fake volume backend): Block Storage grows an attached volume at 3.42+,
// its conductor sends Compute the volume-extended event, and the agent has the driver show the guest the new size;
// before 3.42 an in-use volume is refused with nothing changed; the external events API admits only service users
// and admins and answers per event.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import type { createFakeDriver } from '../roles.ts';

const V = '2.60';
const GiB = 1024 ** 3;

describe('extending an attached volume', () => {
  let c: TestCompute;
  const cinder = async (method: string, path: string, body?: unknown, version = '3.60') => {
    const res = await fetch(`${c.volumeUrl}${path}`, {
      method, headers: { 'x-auth-token': c.as.alice.token, 'openstack-api-version': `volume ${version}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const until = async <T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> => {
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const v = await check();
      if (v) return v;
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const volume = async (id: string) => (await cinder('GET', `/volumes/${id}`)).body.volume as { status: string; size: number };
  before(async () => { c = await startCompute({}, { hosts: ['host-a'] }); });
  after(async () => { await c?.close(); });

  it('grows the volume, keeps it in-use, and the guest sees the new size', async () => {
    const vol = (await cinder('POST', '/volumes', { volume: { size: 1, name: 'growing' } })).body.volume;
    await until('volume available', async () => (await volume(vol.id)).status === 'available');
    const boot = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'grow-vm', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    const id = boot.body.server.id;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    const attach = await c.call('POST', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.alice.token, version: V, body: { volumeAttachment: { volumeId: vol.id } } });
    assert.equal(attach.status, 200, JSON.stringify(attach.body));
    await until('volume in-use', async () => (await volume(vol.id)).status === 'in-use');

    const old = await cinder('POST', `/volumes/${vol.id}/action`, { 'os-extend': { new_size: 2 } }, '3.41');
    assert.equal(old.status, 400, 'before 3.42 an attached volume is not extended');
    assert.match(old.body.badRequest.message, /must be available to extend, but current status is: in-use/);
    assert.deepEqual([(await volume(vol.id)).status, (await volume(vol.id)).size], ['in-use', 1], 'nothing changed');

    const grown = await cinder('POST', `/volumes/${vol.id}/action`, { 'os-extend': { new_size: 2 } }, '3.42');
    assert.equal(grown.status, 202, JSON.stringify(grown.body));
    const after = await until('volume back in-use', async () => { const v = await volume(vol.id); return v.status === 'in-use' && v; });
    assert.equal(after.size, 2);
    const fake = c.drivers['host-a'] as ReturnType<typeof createFakeDriver>;
    await until('the guest sees 2 GiB', async () => fake.volumes(id).get(vol.id)?.sizeBytes === 2 * GiB);
    const log = await c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: V, body: { 'os-getConsoleOutput': {} } });
    assert.match(log.body.output, new RegExp(`volume ${vol.id} resized to ${2 * GiB} bytes`));
  });

  it('admits only service users and admins to external events, and answers per event', async () => {
    const event = (server_uuid: string) => ({ name: 'volume-extended', server_uuid, tag: '0b9f4c2e-3b1a-4d5e-8f60-7a8b9c0d1e2f' });
    const missing = '5c7d9e1f-2a3b-4c5d-8e6f-708192a3b4c5';
    const member = await c.call('POST', '/v2.1/os-server-external-events', { token: c.as.alice.token, version: '2.51', body: { events: [event(missing)] } });
    assert.equal(member.status, 403);
    const early = await c.call('POST', '/v2.1/os-server-external-events', { token: c.as.admin.token, version: '2.50', body: { events: [event(missing)] } });
    assert.equal(early.status, 400, 'volume-extended needs 2.51');
    const none = await c.call('POST', '/v2.1/os-server-external-events', { token: c.as.admin.token, version: '2.51', body: { events: [event(missing)] } });
    assert.equal(none.status, 404);
    const untagged = await c.call('POST', '/v2.1/os-server-external-events', { token: c.as.admin.token, version: '2.51', body: { events: [{ name: 'volume-extended', server_uuid: missing }] } });
    assert.equal(untagged.status, 400);
    const unknownName = await c.call('POST', '/v2.1/os-server-external-events', { token: c.as.admin.token, version: '2.51', body: { events: [{ name: 'no-such-event', server_uuid: missing }] } });
    assert.equal(unknownName.status, 400);

    const boot = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'evt-vm', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    await c.waitForServer(boot.body.server.id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    const mixed = await c.call('POST', '/v2.1/os-server-external-events', { token: c.as.admin.token, version: '2.51', body: { events: [event(boot.body.server.id), event(missing)] } });
    assert.equal(mixed.status, 207, JSON.stringify(mixed.body));
    assert.deepEqual(mixed.body.events.map((e: { code: number; status: string }) => [e.code, e.status]), [[200, 'completed'], [404, 'failed']]);
  });
});
