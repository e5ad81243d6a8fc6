// Bad input and refusals: every 4xx in Cinder's format, never a 500, and nothing changed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';

describe('block storage API: bad input', () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest(); });
  after(async () => { await c?.close(); });

  const count = async () => (await c.call('GET', c.p(c.as.alice, '/volumes'), { token: c.as.alice.token })).body.volumes.length;

  it('refuses malformed volume bodies with badRequest and creates nothing', async () => {
    const { alice } = c.as;
    const before = await count();
    const cases: unknown[] = [
      { volume: { size: 0 } }, { volume: { size: -1 } }, { volume: { size: 1.5 } }, { volume: { size: 'big' } }, { volume: {} },
      { volume: { size: 1, colour: 'red' } }, { volume: { size: 1, metadata: { k: 1 } } }, { volume: { size: 1, name: 'x'.repeat(256) } },
      { volume: { size: 1, snapshot_id: 'not-a-uuid' } }, { volume: { size: 1, imageRef: randomUUID() } }, { volume: { size: 1, availability_zone: 'mars' } },
      { volume: { size: 1, snapshot_id: randomUUID(), source_volid: randomUUID() } }, { volumes: {} }, [],
    ];
    for (const body of cases) {
      const r = await c.call('POST', c.p(alice, '/volumes'), { token: alice.token, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.badRequest.code, 400);
      assert.equal(typeof r.body.badRequest.message, 'string');
    }
    const malformed = await c.call('POST', c.p(alice, '/volumes'), { token: alice.token, raw: '{"volume": ' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.badRequest.code, 400);
    assert.equal(await count(), before);
  });

  it('refuses bad actions: extend to a smaller size, unknown actions, two at once, a snapshot of a volume in error', async () => {
    const { alice, admin } = c.as;
    const v = await c.createVolume(alice, { size: 2 });
    const act = (body: unknown, who = alice) => c.call('POST', c.p(who, `/volumes/${v.id}/action`), { token: who.token, body });
    for (const body of [{ 'os-extend': { new_size: 1 } }, { 'os-extend': { new_size: 2 } }, { 'os-extend': {} }, { 'os-reboot': {} }, {},
      { 'os-extend': { new_size: 3 }, 'os-set_bootable': { bootable: true } }, { 'os-set_bootable': { bootable: 'maybe' } }]) {
      const r = await act(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.badRequest.code, 400);
    }
    assert.equal((await act({ 'os-extend': { new_size: 1 } })).body.badRequest.message,
      'Invalid input received: New size for extend must be greater than current size. (current: 2, extended: 1).');
    assert.equal((await act({ 'os-reset_status': { status: 'error' } })).status, 403, 'members may not reset states');
    assert.equal((await act({ 'os-reset_status': { status: 'error' } }, admin)).status, 202);
    const snap = await c.call('POST', c.p(alice, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: v.id } } });
    assert.equal(snap.status, 400);
    assert.match(snap.body.badRequest.message, /status must be available/);
    assert.equal((await c.call('GET', c.p(alice, '/snapshots'), { token: alice.token })).body.snapshots.length, 0);
    const got = (await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume;
    assert.equal(got.size, 2);
    assert.equal(got.status, 'error');
    assert.equal((await c.call('DELETE', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).status, 202, 'a volume in error can be deleted');
  });

  it('hides other projects\' volumes and snapshots behind itemNotFound, and refuses readers\' writes with forbidden', async () => {
    const { alice, bob, rita } = c.as;
    const v = await c.createVolume(alice, { size: 1, name: 'alices' });
    for (const [method, path, body] of [['GET', `/volumes/${v.id}`], ['PUT', `/volumes/${v.id}`, { volume: { name: 'x' } }], ['DELETE', `/volumes/${v.id}`],
      ['POST', `/volumes/${v.id}/action`, { 'os-extend': { new_size: 2 } }], ['GET', `/volumes/${v.id}/metadata`],
      ['POST', '/snapshots', { snapshot: { volume_id: v.id } }]] as const) {
      const r = await c.call(method, c.p(bob, path), { token: bob.token, body });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.body.itemNotFound.message, `Volume ${v.id} could not be found.`);
    }
    assert.equal((await c.call('GET', c.p(rita, `/volumes/${v.id}`), { token: rita.token })).status, 200);
    assert.equal((await c.call('POST', c.p(rita, '/volumes'), { token: rita.token, body: { volume: { size: 1 } } })).status, 403);
    const ritaDel = await c.call('DELETE', c.p(rita, `/volumes/${v.id}`), { token: rita.token });
    assert.equal(ritaDel.status, 403);
    assert.equal(typeof ritaDel.body.forbidden.message, 'string');
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.name, 'alices');
    const noToken = await c.call('GET', c.p(alice, '/volumes'));
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.unauthorized.code, 401);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${randomUUID()}`), { token: alice.token })).status, 404);
    assert.equal((await c.call('GET', c.p(alice, `/snapshots/${randomUUID()}`), { token: alice.token })).body.itemNotFound.code, 404);
  });

  it('refuses bad list queries, unknown types and bad quota bodies with 4xx', async () => {
    const { alice, admin } = c.as;
    for (const q of ['limit=abc', 'sort=size:sideways', 'sort=colour', 'marker=nope', 'bootable=maybe', 'colour=red', 'metadata=notadict']) {
      const r = await c.call('GET', c.p(alice, `/volumes?${q}`), { token: alice.token });
      assert.equal(r.status, 400, q);
      assert.equal(r.body.badRequest.code, 400);
    }
    const t = await c.call('POST', c.p(alice, '/volumes'), { token: alice.token, body: { volume: { size: 1, volume_type: 'nope' } } });
    assert.equal(t.status, 404);
    for (const body of [{ quota_set: { volumes: -2 } }, { quota_set: { volumes: 'many' } }, { quota_set: { colours: 1 } }, {}]) {
      const r = await c.call('PUT', c.p(admin, `/os-quota-sets/${alice.projectId}`), { token: admin.token, body });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const typeBad = await c.call('POST', c.p(admin, '/types'), { token: admin.token, body: { volume_type: { name: ' padded ' } } });
    assert.equal(typeBad.status, 400);
    assert.equal((await c.call('DELETE', c.p(admin, '/types/default'), { token: admin.token })).status, 400);
  });
});
