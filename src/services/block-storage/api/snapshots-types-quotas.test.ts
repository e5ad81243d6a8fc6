// Snapshots (and volumes made from them, cascade delete), volume types with extra specs and private access, quota
// sets with enforcement in Cinder's 413 format, limits, availability zones and the services list.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';

describe('block storage API: snapshots, types, quotas', () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest(); });
  after(async () => { await c?.close(); });
  const fake = () => c.volume.driver as unknown as { volumes: Map<string, number>; snapshots: Map<string, number> };

  it('snapshots a volume, makes a bigger volume from the snapshot, and cascade-deletes volume and snapshot', async () => {
    const { alice } = c.as;
    const v = await c.createVolume(alice, { size: 2, name: 'origin' });
    const r = await c.call('POST', c.p(alice, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: v.id, name: 's1', metadata: { m: '1' } } } });
    assert.equal(r.status, 202);
    const s = (await c.waitFor(alice, c.p(alice, `/snapshots/${r.body.snapshot.id}`), ['available', 'error'])).snapshot;
    assert.equal(s.status, 'available');
    assert.equal(s.size, 2);
    assert.equal(s['os-extended-snapshot-attributes:progress'], '100%');
    assert.deepEqual(s.metadata, { m: '1' });
    const list = await c.call('GET', c.p(alice, '/snapshots'), { token: alice.token });
    assert.deepEqual(list.body.snapshots.map((x: { id: string }) => x.id), [s.id]);
    assert.equal((await c.call('GET', c.p(c.as.bob, `/snapshots/${s.id}`), { token: c.as.bob.token })).status, 404);
    const upd = await c.call('PUT', c.p(alice, `/snapshots/${s.id}`), { token: alice.token, body: { snapshot: { name: 's1b' } } });
    assert.equal(upd.body.snapshot.name, 's1b');

    const small = await c.call('POST', c.p(alice, '/volumes'), { token: alice.token, body: { volume: { size: 1, snapshot_id: s.id } } });
    assert.equal(small.status, 400, 'smaller than the snapshot');
    const fromSnap = await c.createVolume(alice, { size: 3, snapshot_id: s.id });
    assert.equal(fromSnap.status, 'available');
    assert.equal(fromSnap.snapshot_id, s.id);
    assert.equal(fake().volumes.get(fromSnap.id), 3);

    const plain = await c.call('DELETE', c.p(alice, `/volumes/${v.id}`), { token: alice.token });
    assert.equal(plain.status, 400, 'a volume with snapshots needs cascade');
    assert.match(plain.body.badRequest.message, /dependent snapshots/);
    const cascade = await c.call('DELETE', c.p(alice, `/volumes/${v.id}?cascade=true`), { token: alice.token });
    assert.equal(cascade.status, 202);
    await c.waitFor(alice, c.p(alice, `/volumes/${v.id}`), ['gone']);
    await c.waitFor(alice, c.p(alice, `/snapshots/${s.id}`), ['gone']);
    assert.equal(fake().snapshots.has(s.id), false);
    assert.equal(fake().volumes.has(v.id), false);
    assert.equal((await c.call('GET', c.p(alice, `/volumes/${fromSnap.id}`), { token: alice.token })).body.volume.status, 'available');
    await c.call('DELETE', c.p(alice, `/volumes/${fromSnap.id}`), { token: alice.token });
  });

  it('clones a volume from a source volume', async () => {
    const { alice } = c.as;
    const src = await c.createVolume(alice, { size: 1, name: 'src' });
    const clone = await c.createVolume(alice, { source_volid: src.id, name: 'clone' });
    assert.equal(clone.status, 'available');
    assert.equal(clone.size, 1);
    assert.equal(clone.source_volid, src.id);
    for (const v of [clone, src]) await c.call('DELETE', c.p(alice, `/volumes/${v.id}`), { token: alice.token });
  });

  it('manages volume types: admins create them with extra specs and share private ones; others see only what they may', async () => {
    const { admin, alice, bob } = c.as;
    const r = await c.call('POST', c.p(admin, '/types'), { token: admin.token, body: { volume_type: { name: 'gold', extra_specs: { volume_backend_name: 'file' } } } });
    assert.equal(r.status, 200);
    const gold = r.body.volume_type;
    assert.deepEqual(gold.extra_specs, { volume_backend_name: 'file' });
    assert.equal((await c.call('POST', c.p(admin, '/types'), { token: admin.token, body: { volume_type: { name: 'gold' } } })).status, 409);
    assert.equal((await c.call('POST', c.p(alice, '/types'), { token: alice.token, body: { volume_type: { name: 'mine' } } })).status, 403);
    const spec = await c.call('POST', c.p(admin, `/types/${gold.id}/extra_specs`), { token: admin.token, body: { extra_specs: { multiattach: '<is> True' } } });
    assert.deepEqual(spec.body.extra_specs, { multiattach: '<is> True' });
    const seen = (await c.call('GET', c.p(alice, `/types/${gold.id}`), { token: alice.token })).body.volume_type;
    assert.deepEqual(seen.extra_specs, { multiattach: '<is> True' }, 'the backend name is for admins only');
    const v = await c.createVolume(alice, { size: 1, volume_type: 'gold' });
    assert.equal(v.volume_type, 'gold');
    assert.equal(v.multiattach, true);
    assert.equal((await c.call('DELETE', c.p(admin, `/types/${gold.id}`), { token: admin.token })).status, 400, 'in use');
    // Retype within the backend: allowed; to a type that needs another backend: refused, nothing changes.
    const lvm = (await c.call('POST', c.p(admin, '/types'), { token: admin.token, body: { volume_type: { name: 'lvm', extra_specs: { volume_backend_name: 'lvm' } } } })).body.volume_type;
    const refused = await c.call('POST', c.p(alice, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-retype': { new_type: lvm.name } } });
    assert.equal(refused.status, 400);
    assert.equal((await c.call('POST', c.p(alice, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-retype': { new_type: '__DEFAULT__', migration_policy: 'never' } } })).status, 202);
    const retyped = (await c.call('GET', c.p(alice, `/volumes/${v.id}`), { token: alice.token })).body.volume;
    assert.deepEqual([retyped.volume_type, retyped.multiattach], ['__DEFAULT__', false]);

    const priv = (await c.call('POST', c.p(admin, '/types'), { token: admin.token, body: { volume_type: { name: 'secret', 'os-volume-type-access:is_public': false } } })).body.volume_type;
    const names = async (who: typeof alice) => (await c.call('GET', c.p(who, '/types'), { token: who.token })).body.volume_types.map((t: { name: string }) => t.name);
    assert.ok(!(await names(alice)).includes('secret'));
    assert.equal((await c.call('POST', c.p(admin, `/types/${priv.id}/action`), { token: admin.token, body: { addProjectAccess: { project: alice.projectId } } })).status, 202);
    assert.ok((await names(alice)).includes('secret'));
    assert.ok(!(await names(bob)).includes('secret'));
    const access = await c.call('GET', c.p(admin, `/types/${priv.id}/os-volume-type-access`), { token: admin.token });
    assert.deepEqual(access.body.volume_type_access, [{ volume_type_id: priv.id, project_id: alice.projectId }]);
    const bobs = await c.call('POST', c.p(bob, '/volumes'), { token: bob.token, body: { volume: { size: 1, volume_type: 'secret' } } });
    assert.equal(bobs.status, 404);
    assert.equal(bobs.body.itemNotFound.message, 'Volume type with name secret could not be found.');
    await c.call('DELETE', c.p(alice, `/volumes/${v.id}`), { token: alice.token });
  });

  it('keeps QoS specs for admins and hands front-end ones to Compute in the connection info', async () => {
    const { admin, alice } = c.as;
    const q = await c.call('POST', c.p(admin, '/qos-specs'), { token: admin.token, body: { qos_specs: { name: 'slow', consumer: 'front-end', read_iops_sec: '500' } } });
    assert.equal(q.status, 200);
    const qos = q.body.qos_specs;
    assert.deepEqual([qos.consumer, qos.specs], ['front-end', { read_iops_sec: '500' }]);
    assert.equal((await c.call('GET', c.p(alice, '/qos-specs'), { token: alice.token })).status, 403);
    const type = (await c.call('POST', c.p(admin, '/types'), { token: admin.token, body: { volume_type: { name: 'throttled' } } })).body.volume_type;
    assert.equal((await c.call('GET', c.p(admin, `/qos-specs/${qos.id}/associate?vol_type_id=${type.id}`), { token: admin.token })).status, 202);
    assert.equal((await c.call('PUT', c.p(admin, `/qos-specs/${qos.id}`), { token: admin.token, body: { qos_specs: { write_iops_sec: '100' } } })).status, 200);
    const assoc = await c.call('GET', c.p(admin, `/qos-specs/${qos.id}/associations`), { token: admin.token });
    assert.deepEqual(assoc.body.qos_associations, [{ association_type: 'volume_type', name: 'throttled', id: type.id }]);
    const v = await c.createVolume(alice, { size: 1, volume_type: 'throttled' });
    const conn = await c.call('POST', c.p(alice, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-initialize_connection': { connector: { host: 'h' } } } });
    assert.deepEqual(conn.body.connection_info.data.qos_specs, { read_iops_sec: '500', write_iops_sec: '100' });
    assert.equal((await c.call('DELETE', c.p(admin, `/qos-specs/${qos.id}`), { token: admin.token })).status, 400, 'still associated');
    assert.equal((await c.call('GET', c.p(admin, `/qos-specs/${qos.id}/disassociate_all`), { token: admin.token })).status, 202);
    assert.equal((await c.call('DELETE', c.p(admin, `/qos-specs/${qos.id}`), { token: admin.token })).status, 202);
    const plain = await c.call('POST', c.p(alice, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-initialize_connection': { connector: { host: 'h' } } } });
    assert.equal(plain.body.connection_info.data.qos_specs, undefined);
    await c.call('DELETE', c.p(alice, `/volumes/${v.id}`), { token: alice.token });
  });

  it('enforces quotas with Cinder\'s 413 overLimit and creates nothing over them; shows usage and limits', async () => {
    const { admin, bob } = c.as;
    const set = await c.call('PUT', c.p(admin, `/os-quota-sets/${bob.projectId}`), { token: admin.token, body: { quota_set: { gigabytes: 4, volumes: 2 } } });
    assert.equal(set.status, 200);
    assert.equal(set.body.quota_set.gigabytes, 4);
    const v = await c.createVolume(bob, { size: 2 });
    const over = await c.call('POST', c.p(bob, '/volumes'), { token: bob.token, body: { volume: { size: 3 } } });
    assert.equal(over.status, 413);
    assert.equal(over.body.overLimit.code, 413);
    assert.equal(over.body.overLimit.message, 'Requested volume or snapshot exceeds allowed gigabytes quota. Requested 3G, quota is 4G and 2G has been consumed.');
    const ext = await c.call('POST', c.p(bob, `/volumes/${v.id}/action`), { token: bob.token, body: { 'os-extend': { new_size: 5 } } });
    assert.equal(ext.status, 413);
    assert.equal((await c.call('GET', c.p(bob, `/volumes/${v.id}`), { token: bob.token })).body.volume.size, 2);
    await c.createVolume(bob, { size: 1 });
    const third = await c.call('POST', c.p(bob, '/volumes'), { token: bob.token, body: { volume: { size: 1 } } });
    assert.equal(third.status, 413);
    assert.equal(third.body.overLimit.message, "Maximum number of volumes allowed (2) exceeded for quota 'volumes'.");
    assert.equal((await c.call('GET', c.p(bob, '/volumes'), { token: bob.token })).body.volumes.length, 2);
    const usage = await c.call('GET', c.p(bob, `/os-quota-sets/${bob.projectId}?usage=true`), { token: bob.token });
    assert.deepEqual(usage.body.quota_set.gigabytes, { limit: 4, in_use: 3, reserved: 0, allocated: 0 });
    const limits = await c.call('GET', c.p(bob, '/limits'), { token: bob.token });
    assert.equal(limits.body.limits.absolute.totalVolumesUsed, 2);
    assert.equal(limits.body.limits.absolute.maxTotalVolumeGigabytes, 4);
    const defaults = await c.call('GET', c.p(bob, `/os-quota-sets/${bob.projectId}/defaults`), { token: bob.token });
    assert.equal(defaults.body.quota_set.volumes, 10);
    assert.equal((await c.call('PUT', c.p(bob, `/os-quota-sets/${bob.projectId}`), { token: bob.token, body: { quota_set: { volumes: 50 } } })).status, 403);
    const tooLow = await c.call('PUT', c.p(admin, `/os-quota-sets/${bob.projectId}`), { token: admin.token, body: { quota_set: { volumes: 1 } } });
    assert.equal(tooLow.status, 400);
  });

  it('lists availability zones and, for admins, the services with their heartbeat', async () => {
    const { admin, alice } = c.as;
    const az = await c.call('GET', c.p(alice, '/os-availability-zone'), { token: alice.token });
    assert.deepEqual(az.body.availabilityZoneInfo, [{ zoneName: 'nova', zoneState: { available: true } }]);
    const services = await c.call('GET', c.p(admin, '/os-services'), { token: admin.token });
    const byBinary = Object.fromEntries(services.body.services.map((s: { binary: string; state: string; host: string }) => [s.binary, s]));
    assert.equal(byBinary['cinder-volume'].state, 'up');
    assert.equal(byBinary['cinder-volume'].host, 'localhost@file');
    assert.equal(byBinary['cinder-scheduler'].state, 'up');
    assert.equal((await c.call('GET', c.p(alice, '/os-services'), { token: alice.token })).status, 403);
  });
});
