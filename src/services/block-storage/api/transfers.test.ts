// Volume transfers: offer, wrong key refused with nothing changed, accept moves the volume and its snapshots to the
// recipient within their quota, cancel returns the volume to available.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';

describe('block storage API: volume transfers', () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest(); });
  after(async () => { await c?.close(); });

  it('gives a volume with its snapshot to another project only with the right auth key', async () => {
    const { alice, bob } = c.as;
    const v = await c.createVolume(alice, { size: 1, name: 'gift' });
    const s = await c.call('POST', c.p(alice, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: v.id } } });
    await c.waitFor(alice, c.p(alice, `/snapshots/${s.body.snapshot.id}`), ['available']);
    const r = await c.call('POST', c.p(alice, '/os-volume-transfer'), { token: alice.token, body: { transfer: { volume_id: v.id, name: 'for bob' } } });
    assert.equal(r.status, 202);
    const t = r.body.transfer;
    assert.equal(t.auth_key.length, 16);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'awaiting-transfer');
    const shown = await c.call('GET', c.p(alice, `/os-volume-transfer/${t.id}`), { token: alice.token });
    assert.equal(shown.body.transfer.auth_key, undefined, 'the key is shown once');
    assert.equal((await c.call('GET', c.p(bob, `/os-volume-transfer/${t.id}`), { token: bob.token })).status, 404);
    assert.equal((await c.call('DELETE', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).status, 400, 'not while offered');

    const wrong = await c.call('POST', c.p(bob, `/os-volume-transfer/${t.id}/accept`), { token: bob.token, body: { accept: { auth_key: 'x'.repeat(16) } } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.badRequest.message, `Invalid auth key: Attempt to transfer ${t.id} with invalid auth key.`);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'awaiting-transfer');

    const ok = await c.call('POST', c.p(bob, `/os-volume-transfer/${t.id}/accept`), { token: bob.token, body: { accept: { auth_key: t.auth_key } } });
    assert.equal(ok.status, 202);
    assert.equal(ok.body.transfer.volume_id, v.id);
    const mine = (await c.call('GET', c.p(bob, `/volumes/${v.id}`), { token: bob.token })).body.volume;
    assert.deepEqual([mine.status, mine['os-vol-tenant-attr:tenant_id']], ['available', bob.projectId]);
    assert.equal((await c.call('GET', c.p(bob, `/snapshots/${s.body.snapshot.id}`), { token: bob.token })).status, 200);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).status, 404);
    assert.equal((await c.call('POST', c.p(bob, `/os-volume-transfer/${t.id}/accept`), { token: bob.token, body: { accept: { auth_key: t.auth_key } } })).status, 404);
  });

  it('cancels a transfer, and refuses one the recipient\'s quota cannot take', async () => {
    const { alice, bob, admin } = c.as;
    const v = await c.createVolume(alice, { size: 2 });
    const t = (await c.call('POST', c.p(alice, '/volume-transfers'), { token: alice.token, version: '3.55', body: { transfer: { volume_id: v.id } } })).body.transfer;
    assert.equal(t.no_snapshots, false);
    const list = await c.call('GET', c.p(alice, '/os-volume-transfer/detail'), { token: alice.token });
    assert.deepEqual(list.body.transfers.map((x: { id: string }) => x.id), [t.id]);
    await c.call('PUT', c.p(admin, `/os-quota-sets/${bob.projectId}`), { token: admin.token, body: { quota_set: { gigabytes: 3 } } });
    const over = await c.call('POST', c.p(bob, `/os-volume-transfer/${t.id}/accept`), { token: bob.token, body: { accept: { auth_key: t.auth_key } } });
    assert.equal(over.status, 413);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'awaiting-transfer');
    assert.equal((await c.call('DELETE', c.p(alice, `/os-volume-transfer/${t.id}`), { token: alice.token })).status, 202);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'available');
    assert.equal((await c.call('GET', c.p(alice, '/os-volume-transfer'), { token: alice.token })).body.transfers.length, 0);
  });
});
