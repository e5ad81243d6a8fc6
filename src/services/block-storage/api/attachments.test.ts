// Attaching volumes: the attachments API through the typed client Compute uses (reserve → connect → complete →
// delete), multiattach refusals, and the legacy os-reserve/os-attach/os-detach actions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createBlockStorageClient, BlockStorageRequestError } from '../contract/client.ts';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';

describe('block storage API: attachments', () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest(); });
  after(async () => { await c?.close(); });

  const connector = { host: 'compute-1', initiator: 'iqn.test', platform: 'x86_64', os_type: 'linux', multipath: false, mountpoint: '/dev/vdb' };

  it('reserves, connects, completes and deletes an attachment as Compute does, moving the volume through its states', async () => {
    const { alice } = c.as;
    const client = createBlockStorageClient({ endpoint: `${c.url}/v3/${alice.projectId}` });
    const auth = { userToken: alice.token, serviceToken: c.as.admin.token };
    const v = await c.createVolume(alice, { size: 1, name: 'attach-me' });
    const server = randomUUID();
    const a = await client.createAttachment({ volumeId: v.id, instanceUuid: server }, auth);
    assert.equal(a.status, 'reserved');
    assert.equal(a.instance, server);
    assert.equal((await client.getVolume(v.id, auth))!.status, 'reserved');
    const connected = await client.updateAttachment(a.id, connector, auth);
    assert.equal(connected.status, 'attaching');
    assert.equal(connected.connection_info.driver_volume_type, 'fake');
    assert.equal(connected.connection_info.attachment_id, a.id);
    assert.equal((await client.getVolume(v.id, auth))!.status, 'attaching');
    await client.completeAttachment(a.id, auth);
    const inUse = (await client.getVolume(v.id, auth))!;
    assert.equal(inUse.status, 'in-use');
    assert.deepEqual(inUse.attachments.map((x) => [x.attachment_id, x.server_id, x.host_name, x.device]), [[a.id, server, 'compute-1', '/dev/vdb']]);

    // Not multiattach: a second server cannot have it, and nothing changes.
    await assert.rejects(client.createAttachment({ volumeId: v.id, instanceUuid: randomUUID() }, auth),
      (err: unknown) => err instanceof BlockStorageRequestError && err.status === 400 && /status must be available/.test(err.message));
    // An in-use volume cannot be deleted.
    const del = await c.call('DELETE', c.p(alice, `/volumes/${v.id}`), { token: alice.token });
    assert.equal(del.status, 400);
    assert.equal(del.body.badRequest.code, 400);
    assert.equal((await client.getVolume(v.id, auth))!.status, 'in-use');

    const list = await c.call('GET', c.p(alice, '/attachments/detail'), { token: alice.token, version: '3.27' });
    assert.deepEqual(list.body.attachments.map((x: { id: string }) => x.id), [a.id]);
    assert.equal((await c.call('GET', c.p(c.as.bob, `/attachments/${a.id}`), { token: c.as.bob.token, version: '3.27' })).status, 404);

    assert.equal(await client.deleteAttachment(a.id, auth), true);
    const after = (await client.getVolume(v.id, auth))!;
    assert.equal(after.status, 'available');
    assert.deepEqual(after.attachments, []);
    assert.equal(await client.deleteAttachment(a.id, auth), false);
    assert.equal(await client.getVolume(randomUUID(), auth), undefined);
  });

  it('creates a connected attachment in one call when the connector comes along, and needs 3.27', async () => {
    const { alice } = c.as;
    const v = await c.createVolume(alice, { size: 1 });
    const old = await c.call('POST', c.p(alice, '/attachments'), { token: alice.token, body: { attachment: { volume_uuid: v.id, instance_uuid: randomUUID() } } });
    assert.equal(old.status, 404);
    const r = await c.call('POST', c.p(alice, '/attachments'), {
      token: alice.token, version: '3.44', body: { attachment: { volume_uuid: v.id, instance_uuid: randomUUID(), connector } },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.attachment.status, 'attaching');
    assert.equal(r.body.attachment.connection_info.data.volume_id, v.id);
    const done = await c.call('POST', c.p(alice, `/attachments/${r.body.attachment.id}/action`), { token: alice.token, version: '3.44', body: { 'os-complete': null } });
    assert.equal(done.status, 204);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'in-use');
  });

  it('speaks the legacy attach protocol: reserve, initialize_connection, attach, begin_detaching, detach', async () => {
    const { alice } = c.as;
    const v = await c.createVolume(alice, { size: 1 });
    const act = (body: unknown) => c.call('POST', c.p(alice, `/volumes/${v.id}/action`), { token: alice.token, body });
    const status = async () => (await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status;
    assert.equal((await act({ 'os-reserve': {} })).status, 202);
    assert.equal(await status(), 'attaching');
    const conn = await act({ 'os-initialize_connection': { connector } });
    assert.equal(conn.status, 200);
    assert.equal(conn.body.connection_info.driver_volume_type, 'fake');
    assert.equal((await act({ 'os-attach': { instance_uuid: randomUUID(), mountpoint: '/dev/vdc', mode: 'rw' } })).status, 202);
    assert.equal(await status(), 'in-use');
    assert.equal((await act({ 'os-begin_detaching': {} })).status, 202);
    assert.equal(await status(), 'detaching');
    assert.equal((await act({ 'os-roll_detaching': {} })).status, 202);
    assert.equal(await status(), 'in-use');
    assert.equal((await act({ 'os-reserve': {} })).status, 400, 'an in-use volume cannot be reserved again');
    assert.equal((await act({ 'os-terminate_connection': { connector } })).status, 202);
    assert.equal((await act({ 'os-detach': {} })).status, 202);
    assert.equal(await status(), 'available');
    assert.equal((await act({ 'os-update_readonly_flag': { readonly: true } })).status, 202);
    const ro = await act({ 'os-initialize_connection': { connector } });
    assert.equal(ro.body.connection_info.data.access_mode, 'ro');
  });

  it('lets a multiattach volume be attached to two servers', async () => {
    const { alice } = c.as;
    const v = await c.createVolume(alice, { size: 1, multiattach: true });
    const client = createBlockStorageClient({ endpoint: `${c.url}/v3` });
    const auth = { userToken: alice.token };
    for (const host of ['h1', 'h2']) {
      const a = await client.createAttachment({ volumeId: v.id, instanceUuid: randomUUID(), connector: { host } }, auth);
      await client.completeAttachment(a.id, auth);
    }
    const vol = (await client.getVolume(v.id, auth))!;
    assert.equal(vol.status, 'in-use');
    assert.equal(vol.attachments.length, 2);
  });
});
