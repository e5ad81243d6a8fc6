// Volumes through the API with the fake driver: the create → available → delete lifecycle over the bus, lists with
// filters, sorting and pagination, update, metadata, extend, microversions and version discovery.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';

describe('block storage API: volumes', () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest(); });
  after(async () => { await c?.close(); });

  it('discovers v3 with its microversion range at / and /v3/, without a token', async () => {
    const root = await c.call('GET', '/');
    assert.equal(root.status, 300);
    assert.equal(root.body.versions[0].id, 'v3.0');
    assert.equal(root.body.versions[0].min_version, '3.0');
    assert.equal(root.body.versions[0].version, '3.60');
    const v3 = await c.call('GET', '/v3/');
    assert.equal(v3.status, 200);
    assert.match(v3.body.versions[0].links.find((l: { rel: string }) => l.rel === 'self').href, /\/v3\/$/);
  });

  it('creates a volume that the scheduler places and the volume service makes available, then deletes it', async () => {
    const { alice } = c.as;
    const r = await c.call('POST', c.p(alice, '/volumes'), { token: alice.token, body: { volume: { size: 1, name: 'v1', metadata: { a: 'b' } } } });
    assert.equal(r.status, 202);
    assert.equal(r.body.volume.status, 'creating');
    assert.equal(r.body.volume.volume_type, '__DEFAULT__');
    assert.equal(r.body.volume.bootable, 'false');
    const v = (await c.waitFor(alice, c.p(alice, `/volumes/${r.body.volume.id}`), ['available', 'error'])).volume;
    assert.equal(v.status, 'available');
    assert.equal(v['os-vol-host-attr:host'], undefined, 'the host is for admins only');
    assert.deepEqual(v.metadata, { a: 'b' });
    const asAdmin = (await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: c.as.admin.token })).body.volume;
    assert.equal(asAdmin['os-vol-host-attr:host'], 'localhost@file#file');
    assert.equal(c.volume.driver.name, 'fake');
    assert.equal((c.volume.driver as unknown as { volumes: Map<string, number> }).volumes.get(v.id), 1);
    const del = await c.call('DELETE', c.p(alice, `/volumes/${v.id}`), { token: alice.token });
    assert.equal(del.status, 202);
    await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['gone']);
    assert.equal((c.volume.driver as unknown as { volumes: Map<string, number> }).volumes.has(v.id), false);
  });

  it('serves the same API under /v3 alone, for the token\'s project', async () => {
    const { alice } = c.as;
    const v = await c.createVolume(alice, { size: 1, name: 'projectless' });
    const r = await c.call('GET', `/v3/volumes/${v.id}`, { token: alice.token });
    assert.equal(r.status, 200);
    assert.equal(r.body.volume.name, 'projectless');
    const list = await c.call('GET', '/v3/volumes', { token: alice.token });
    assert.ok(list.body.volumes.some((x: { id: string }) => x.id === v.id));
    assert.equal((await c.call('DELETE', `/v3/volumes/${v.id}`, { token: alice.token })).status, 202);
    await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['gone']);
  });

  it('lists with filters, sorting, limit/marker and with_count (3.45), and only the caller\'s project', async () => {
    const { bob } = c.as;
    const made = [];
    for (const [name, size] of [['l-a', 1], ['l-b', 2], ['l-c', 3]] as const) made.push(await c.createVolume(bob, { size, name, metadata: { tier: name === 'l-b' ? 'gold' : 'std' } }));
    const all = await c.call('GET', c.p(bob, '/volumes/detail?sort=size:asc'), { token: bob.token });
    assert.deepEqual(all.body.volumes.map((v: { name: string }) => v.name), ['l-a', 'l-b', 'l-c']);
    const page1 = await c.call('GET', c.p(bob, '/volumes?sort_key=size&sort_dir=desc&limit=2'), { token: bob.token });
    assert.deepEqual(page1.body.volumes.map((v: { name: string }) => v.name), ['l-c', 'l-b']);
    assert.equal(page1.body.volumes_links[0].rel, 'next');
    const page2 = await c.call('GET', c.p(bob, `/volumes?sort_key=size&sort_dir=desc&limit=2&marker=${page1.body.volumes[1].id}`), { token: bob.token });
    assert.deepEqual(page2.body.volumes.map((v: { name: string }) => v.name), ['l-a']);
    const gold = await c.call('GET', c.p(bob, `/volumes/detail?metadata=${encodeURIComponent("{'tier': 'gold'}")}`), { token: bob.token });
    assert.deepEqual(gold.body.volumes.map((v: { name: string }) => v.name), ['l-b']);
    const byName = await c.call('GET', c.p(bob, '/volumes?name=l-c&with_count=true'), { token: bob.token, version: '3.45' });
    assert.equal(byName.body.count, 1);
    const alices = await c.call('GET', c.p(c.as.alice, '/volumes'), { token: c.as.alice.token });
    assert.ok(!alices.body.volumes.some((v: { name: string }) => v.name.startsWith('l-')));
    const everyone = await c.call('GET', c.p(c.as.admin, '/volumes?all_tenants=1'), { token: c.as.admin.token });
    assert.ok(everyone.body.volumes.filter((v: { name: string }) => v.name.startsWith('l-')).length === 3);
    for (const v of made) await c.call('DELETE', c.p(bob, `/volumes/${v.id}`), { token: bob.token });
  });

  it('updates name, description and metadata, and extends an available volume', async () => {
    const { alice } = c.as;
    const v = await c.createVolume(alice, { size: 1, name: 'before' });
    const upd = await c.call('PUT', c.p(alice, `/volumes/${v.id}`), { token: alice.token, body: { volume: { name: 'after', description: 'd' } } });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.volume.name, 'after');
    assert.equal(upd.body.volume.description, 'd');
    const meta = await c.call('POST', c.p(alice, `/volumes/${v.id}/metadata`), { token: alice.token, body: { metadata: { k1: 'v1', k2: 'v2' } } });
    assert.deepEqual(meta.body.metadata, { k1: 'v1', k2: 'v2' });
    assert.deepEqual((await c.call('GET', c.p(alice, `/volumes/${v.id}/metadata/k1`), { token: alice.token })).body, { meta: { k1: 'v1' } });
    assert.equal((await c.call('DELETE', c.p(alice, `/volumes/${v.id}/metadata/k1`), { token: alice.token })).status, 200);
    const replaced = await c.call('PUT', c.p(alice, `/volumes/${v.id}/metadata`), { token: alice.token, body: { metadata: { only: 'this' } } });
    assert.deepEqual(replaced.body.metadata, { only: 'this' });
    const ext = await c.call('POST', c.p(alice, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-extend': { new_size: 3 } } });
    assert.equal(ext.status, 202);
    const grown = (await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['available', 'error_extending'])).volume;
    assert.equal(grown.status, 'available');
    assert.equal(grown.size, 3);
    assert.equal((c.volume.driver as unknown as { volumes: Map<string, number> }).volumes.get(v.id), 3);
    const boot = await c.call('POST', c.p(alice, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-set_bootable': { bootable: true } } });
    assert.equal(boot.status, 200);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume.bootable, 'true');
    await c.call('DELETE', c.p(alice, `/volumes/${v.id}`), { token: alice.token });
  });

  it('negotiates microversions: echoes the version, 406 out of range, 400 malformed', async () => {
    const { alice } = c.as;
    const ok = await c.call('GET', c.p(alice, '/volumes'), { token: alice.token, version: '3.50' });
    assert.equal(ok.headers.get('openstack-api-version'), 'volume 3.50');
    const latest = await c.call('GET', c.p(alice, '/volumes'), { token: alice.token, version: 'latest' });
    assert.equal(latest.headers.get('openstack-api-version'), 'volume 3.60');
    const high = await c.call('GET', c.p(alice, '/volumes'), { token: alice.token, version: '3.61' });
    assert.equal(high.status, 406);
    const bad = await c.call('GET', c.p(alice, '/volumes'), { token: alice.token, version: 'three' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.badRequest.code, 400);
  });
});
