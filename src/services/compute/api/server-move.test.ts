// Rebuild and resize through the whole flow: the agent respawns a rebuilt guest from its new image; a resize is
// scheduled for the new flavor, moves the old allocation to the migration in Placement, waits in VERIFY_RESIZE, and
// is confirmed (the migration's allocation dropped) or reverted (old flavor, host and allocation back).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import type { GuestSpec } from '../agent/drivers/hypervisor-driver.ts';
import { until } from '#lib/test-wait.ts';

const V = '2.60';

describe('rebuild and resize', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({}, { hosts: ['host-a', 'host-b'] }); });
  after(async () => { await c?.close(); });

  const act = (id: string, body: unknown, token = c.as.alice.token) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version: V, body });
  const boot = (name: string) => c.bootActive(name);
  const settled = (id: string, status: string) => c.waitForServer(id, c.as.admin.token, (s) => s?.status === status && s['OS-EXT-STS:task_state'] === null);
  const nodeOf = (host: string) => c.nodeUuidOf(host);
  const guestOf = (host: string, id: string) => (c.drivers[host] as unknown as { guest(uuid: string): GuestSpec | undefined }).guest(id);
  const migrationsOf = async (id: string) =>
    (await c.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.as.admin.token, version: V })).body.migrations;

  it('rebuilds a server from another image, and refuses bad input', async () => {
    const id = await boot('to-rebuild');
    const image = await c.uploadImage();
    assert.equal((await act(id, { rebuild: { imageRef: '6b1c9d3e-0000-4000-8000-000000000000' } })).status, 400);
    assert.equal((await act(id, { rebuild: { imageRef: image, key_name: 'k' } })).status, 400);
    assert.equal((await act(id, { rebuild: {} })).status, 400);
    assert.equal((await act(id, { rebuild: { imageRef: image } }, c.as.rita.token)).status, 403);

    const res = await act(id, { rebuild: { imageRef: image, name: 'rebuilt', metadata: { v: '2' }, preserve_ephemeral: false } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.server.status, 'REBUILD');
    assert.ok(res.body.server.adminPass);
    assert.equal((await act(id, { rebuild: { imageRef: image } })).status, 409, 'a rebuild is already running');
    const s = await settled(id, 'ACTIVE');
    assert.equal(s.name, 'rebuilt');
    assert.equal(s.image.id, image);
    assert.deepEqual(s.metadata, { v: '2' });
    const host = s['OS-EXT-SRV-ATTR:host'];
    assert.equal(guestOf(host, id)?.image?.id, image);
    const actions = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.alice.token, version: V });
    assert.deepEqual(actions.body.instanceActions.map((a: { action: string }) => a.action), ['rebuild', 'create']);
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
  });

  it('resizes to a new flavor and confirms: the server keeps the new flavor, the migration\'s allocation goes', async () => {
    const id = await boot('to-resize');
    const source = (await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.admin.token, version: V })).body.server['OS-EXT-SRV-ATTR:host'];
    assert.equal((await act(id, { resize: { flavorRef: '1' } })).status, 400, 'same flavor');
    assert.equal((await act(id, { resize: { flavorRef: 'no-such-flavor' } })).status, 400);
    assert.equal((await act(id, { resize: {} })).status, 400);
    assert.equal((await act(id, { confirmResize: null })).status, 409, 'nothing to confirm on an ACTIVE server');
    assert.equal((await act(id, { revertResize: null })).status, 409);

    assert.equal((await act(id, { resize: { flavorRef: '2' } })).status, 202);
    const s = await settled(id, 'VERIFY_RESIZE');
    assert.equal(s['OS-EXT-STS:vm_state'], 'resized');
    assert.equal(s.flavor.original_name, 'm1.small');
    assert.equal((await act(id, { resize: { flavorRef: '3' } })).status, 409, 'already resized, waiting for confirmation');
    assert.equal((await act(id, { rebuild: { imageRef: c.imageId } })).status, 409);
    const [migration] = await migrationsOf(id);
    assert.equal(migration.status, 'finished');
    assert.equal(migration.migration_type, 'resize');
    assert.equal(migration.old_instance_type_id, 1);
    assert.equal(migration.new_instance_type_id, 2);
    assert.equal(migration.source_compute, source);
    const dest = s['OS-EXT-SRV-ATTR:host'];
    assert.equal(migration.dest_compute, dest);
    assert.equal((await c.drivers[dest].powerState({ uuid: id })), 'running');
    assert.equal(guestOf(dest, id)?.memoryMb, 2048, 'the guest runs with the new flavor');
    // The server holds the new flavor where it runs; the migration holds the old one where it ran.
    const own = await c.allocationsOf(id);
    assert.deepEqual(own[await nodeOf(dest)].resources, { VCPU: 1, MEMORY_MB: 2048, DISK_GB: 20 });
    const held = await c.allocationsOf(migration.uuid);
    assert.deepEqual(held[await nodeOf(migration.source_compute)].resources, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 });

    const confirmed = await act(id, { confirmResize: null });
    assert.equal(confirmed.status, 204, JSON.stringify(confirmed.body));
    const done = await c.waitForServer(id, c.as.admin.token, (v) => v?.status === 'ACTIVE');
    assert.equal(done.flavor.original_name, 'm1.small');
    await until('the confirmed migration', async () => (await migrationsOf(id))[0].status === 'confirmed');
    assert.deepEqual(await c.allocationsOf(migration.uuid), {});
    assert.deepEqual(Object.values(await c.allocationsOf(id)).map((a) => a.resources), [{ VCPU: 1, MEMORY_MB: 2048, DISK_GB: 20 }]);
    if (migration.source_compute !== dest) assert.equal(await c.drivers[migration.source_compute].powerState({ uuid: id }), undefined);
    const actions = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.alice.token, version: V });
    assert.deepEqual(actions.body.instanceActions.map((a: { action: string }) => a.action), ['confirmResize', 'resize', 'create']);
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(id, c.as.alice.token, (v) => v === undefined);
    assert.deepEqual(await c.allocationsOf(id), {});
  });

  it('reverts a resize: old flavor, host and allocation back, the migration\'s allocation gone', async () => {
    const id = await boot('to-revert');
    const before = await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.admin.token, version: V });
    const source = before.body.server['OS-EXT-SRV-ATTR:host'];
    assert.equal((await act(id, { resize: { flavorRef: '2' } })).status, 202);
    await settled(id, 'VERIFY_RESIZE');
    const [migration] = await migrationsOf(id);
    const reverted = await act(id, { revertResize: null });
    assert.equal(reverted.status, 202, JSON.stringify(reverted.body));
    const s = await settled(id, 'ACTIVE');
    assert.equal(s.flavor.original_name, 'm1.tiny');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], source);
    assert.equal(await c.drivers[source].powerState({ uuid: id }), 'running');
    assert.equal(guestOf(source, id)?.memoryMb, 512, 'the guest runs with the old flavor again');
    if (migration.dest_compute !== source) assert.equal(await c.drivers[migration.dest_compute].powerState({ uuid: id }), undefined);
    assert.equal((await migrationsOf(id))[0].status, 'reverted');
    const own = await c.allocationsOf(id);
    assert.deepEqual(own, { [await nodeOf(source)]: own[await nodeOf(source)] });
    assert.deepEqual(own[await nodeOf(source)].resources, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 });
    assert.deepEqual(await c.allocationsOf(migration.uuid), {});
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
  });

  it('releases both allocations when a server waiting in VERIFY_RESIZE is deleted; members cannot list migrations', async () => {
    const id = await boot('deleted-resized');
    await act(id, { resize: { flavorRef: '2' } });
    await settled(id, 'VERIFY_RESIZE');
    const [migration] = await migrationsOf(id);
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V })).status, 204);
    await c.waitForServer(id, c.as.alice.token, (v) => v === undefined);
    assert.deepEqual(await c.allocationsOf(id), {});
    assert.deepEqual(await c.allocationsOf(migration.uuid), {});
    assert.equal((await c.call('GET', '/v2.1/os-migrations', { token: c.as.alice.token, version: V })).status, 403);
  });
});

describe('resize on one host', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({}, { hosts: ['solo'] }); });
  after(async () => { await c?.close(); });

  const act = (id: string, body: unknown) => c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: V, body });
  const settled = (id: string, status: string) => c.waitForServer(id, c.as.admin.token, (s) => s?.status === status && s['OS-EXT-STS:task_state'] === null);
  const allocations = (consumer: string) => c.allocationsOf(consumer);

  it('resizes a stopped server on its own host (allow_resize_to_same_host), keeps it stopped, and keeps the guest on confirm', async () => {
    const res = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'solo', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    const id = res.body.server.id;
    await settled(id, 'ACTIVE');
    await act(id, { 'os-stop': null });
    await settled(id, 'SHUTOFF');
    assert.equal((await act(id, { resize: { flavorRef: '2' } })).status, 202);
    const s = await settled(id, 'VERIFY_RESIZE');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'solo');
    assert.equal(s['OS-EXT-STS:power_state'], 4);
    // Both flavors are held on the one host until the confirm.
    const migration = (await c.call('GET', '/v2.1/os-migrations', { token: c.as.admin.token, version: V })).body.migrations[0];
    assert.equal(Object.values(await allocations(migration.uuid))[0].resources.MEMORY_MB, 512);
    assert.equal(Object.values(await allocations(id))[0].resources.MEMORY_MB, 2048);
    assert.equal((await act(id, { confirmResize: null })).status, 204);
    const done = await settled(id, 'SHUTOFF');
    assert.equal(done.flavor.original_name, 'm1.small');
    assert.equal(await c.drivers.solo.powerState({ uuid: id }), 'shutdown', 'the confirm left the resized guest alone');
    for (let i = 0; i < 100 && Object.keys(await allocations(migration.uuid)).length; i += 1) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await allocations(migration.uuid), {});
  });

  it('leaves the server as it was when no host can hold the new flavor', async () => {
    const overQuota = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, body: { flavor: { name: 'over-quota', ram: 60_000, vcpus: 1, disk: 1 } } });
    // Larger than the 16 GB host, within the project's RAM quota.
    const flavor = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, body: { flavor: { name: 'too-big', ram: 20_000, vcpus: 1, disk: 1 } } });
    const res = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'stays', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    const id = res.body.server.id;
    await settled(id, 'ACTIVE');
    const before = await allocations(id);
    const refused = await act(id, { resize: { flavorRef: overQuota.body.flavor.id } });
    assert.equal(refused.status, 403);
    assert.match(refused.body.forbidden.message, /Quota exceeded for ram/);
    assert.equal((await act(id, { resize: { flavorRef: flavor.body.flavor.id } })).status, 202);
    let migration;
    for (let i = 0; i < 200; i += 1) {
      migration = (await c.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.as.admin.token, version: V })).body.migrations[0];
      if (migration.status === 'error') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(migration.status, 'error');
    const s = await settled(id, 'ACTIVE');
    assert.equal(s.flavor.original_name, 'm1.tiny');
    assert.deepEqual(await allocations(id), before);
    assert.deepEqual(await allocations(migration.uuid), {});
    const actions = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.admin.token, version: V });
    const shown = await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${actions.body.instanceActions[0].request_id}`, { token: c.as.admin.token, version: V });
    const scheduled = shown.body.instanceAction.events.find((e: { event: string }) => e.event === 'conductor_migrate_server');
    assert.equal(scheduled.result, 'Error');
  });
});

describe('resize with allow_resize_to_same_host off', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({ allow_resize_to_same_host: false }, { hosts: ['only'] }); });
  after(async () => { await c?.close(); });

  it('finds no host when the only one is the server\'s own', async () => {
    const res = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'x', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    const id = res.body.server.id;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.equal((await c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: V, body: { resize: { flavorRef: '2' } } })).status, 202);
    let status = '';
    for (let i = 0; i < 200 && status !== 'error'; i += 1) {
      status = (await c.call('GET', '/v2.1/os-migrations', { token: c.as.admin.token, version: V })).body.migrations[0].status;
      if (status !== 'error') await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 'error');
    const s = await c.waitForServer(id, c.as.admin.token, (v) => v?.status === 'ACTIVE' && v['OS-EXT-STS:task_state'] === null);
    assert.equal(s.flavor.original_name, 'm1.tiny');
  });
});
