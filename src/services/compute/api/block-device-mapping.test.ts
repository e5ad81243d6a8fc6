// Boot from volume through the whole flow (fake hypervisor, fake volume backend): block_device_mapping_v2 from an
// existing volume and from an image, what the server shows, what Placement is claimed for, what a delete keeps and
// deletes, what a failed build undoes, and the requests Nova refuses — which change nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequest } from '#lib/errors.ts';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import { createFakeDriver } from '../roles.ts';

const V = '2.60';

describe('boot from volume (block_device_mapping_v2)', () => {
  let c: TestCompute;
  const cinder = async (method: string, path: string, body?: unknown, token = c.as.alice.token) => {
    const res = await fetch(`${c.volumeUrl}${path}`, {
      method, headers: { 'x-auth-token': token, 'openstack-api-version': 'volume 3.60', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const until = async <T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> => {
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const v = await check();
      if (v) return v;
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const volumeStatus = async (id: string) => (await cinder('GET', `/volumes/${id}`)).body?.volume?.status as string | undefined;
  const waitVolume = (id: string, status: string | undefined) => until(`volume ${id} ${status ?? 'gone'}`, async () => (await volumeStatus(id)) === status);
  const projectVolumes = async () => ((await cinder('GET', '/volumes')).body.volumes as { id: string }[]).map((v) => v.id);
  const bootableVolume = async (name: string) => {
    const vol = (await cinder('POST', '/volumes', { volume: { size: 1, name, imageRef: c.imageId } })).body.volume;
    await waitVolume(vol.id, 'available');
    return vol.id as string;
  };
  const create = (server: Record<string, unknown>, version = V, token = c.as.alice.token) =>
    c.call('POST', '/v2.1/servers', { token, version, body: { server: { name: 'bfv', flavorRef: '1', networks: 'none', ...server } } });
  const servers = async () => (await c.call('GET', '/v2.1/servers', { token: c.as.alice.token, version: V })).body.servers.length as number;
  // The hypervisor refuses to spawn a server named "doomed", for the failed-build story.
  const fake = createFakeDriver({ nodeName: 'host-a', vcpus: 8, memoryMb: 16384, localGb: 100 });
  const spawn = fake.spawn.bind(fake);
  fake.spawn = async (o) => {
    if (o.guest.name === 'doomed') throw new BadRequest('the hypervisor refused to start the guest');
    return spawn(o);
  };

  before(async () => { c = await startCompute({}, { hosts: ['host-a'], drivers: { 'host-a': fake } }); });
  after(async () => { await c?.close(); });

  it('boots from an existing volume: image "", the volume in use at vda, kept when the server is deleted', async () => {
    const vol = await bootableVolume('root');
    const res = await create({ imageRef: '', block_device_mapping_v2: [{ uuid: vol, source_type: 'volume', destination_type: 'volume', boot_index: '0' }] }, V, c.as.bob.token);
    assert.equal(res.status, 400, 'bob is not in alice\'s project: her volume is not found for him');
    const ok = await create({ imageRef: '', block_device_mapping_v2: [{ uuid: vol, source_type: 'volume', destination_type: 'volume', boot_index: '0' }] });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    const id = ok.body.server.id;
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.equal(server.image, '');
    assert.deepEqual(server['os-extended-volumes:volumes_attached'], [{ id: vol, delete_on_termination: false }]);
    const old = await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: '2.1' });
    assert.deepEqual(old.body.server['os-extended-volumes:volumes_attached'], [{ id: vol }]);
    assert.equal(await volumeStatus(vol), 'in-use');
    assert.equal(fake.volumes(id).get(vol)?.device, '/dev/vda');
    assert.equal(fake.guest(id)?.image, null, 'the driver boots it from the volume, not an image');
    const detach = await c.call('DELETE', `/v2.1/servers/${id}/os-volume_attachments/${vol}`, { token: c.as.alice.token, version: V });
    assert.equal(detach.status, 400, 'the root volume cannot be detached');
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V })).status, 204);
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    await waitVolume(vol, 'available');
  });

  it('makes the root volume from an image, claims no root disk in Placement, and deletes it with the server', async () => {
    const before = await projectVolumes();
    const res = await create({
      block_device_mapping_v2: [{ uuid: c.imageId, source_type: 'image', destination_type: 'volume', boot_index: 0, volume_size: 2, delete_on_termination: true }],
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id;
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.equal(server.image, '');
    const attached = server['os-extended-volumes:volumes_attached'];
    assert.equal(attached.length, 1);
    assert.equal(attached[0].delete_on_termination, true);
    const vol = (await cinder('GET', `/volumes/${attached[0].id}`)).body.volume;
    assert.equal(vol.status, 'in-use');
    assert.equal(vol.size, 2);
    assert.equal(vol.bootable, 'true');
    const allocations = await (await fetch(`${c.placementUrl}/allocations/${id}`, { headers: { 'x-auth-token': c.as.admin.token } })).json() as
      { allocations: Record<string, { resources: Record<string, number> }> };
    const claimed = Object.values(allocations.allocations)[0].resources;
    assert.equal(claimed.MEMORY_MB, 512);
    assert.equal(claimed.DISK_GB, undefined, 'the root disk is a volume, not the host\'s disk');
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V })).status, 204);
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    await until('the boot volume deleted', async () => (await cinder('GET', `/volumes/${vol.id}`)).status === 404);
    assert.deepEqual(await projectVolumes(), before);
  });

  it('boots from a volume snapshot: the agent makes the root volume from it, the snapshot\'s size by default', async () => {
    const source = await bootableVolume('snap-source');
    const snap = (await cinder('POST', '/snapshots', { snapshot: { volume_id: source, name: 'root-snap' } })).body.snapshot.id as string;
    await until('the snapshot', async () => (await cinder('GET', `/snapshots/${snap}`)).body.snapshot.status === 'available');
    const before = await projectVolumes();
    const res = await create({ block_device_mapping_v2: [{ uuid: snap, source_type: 'snapshot', destination_type: 'volume', boot_index: 0, delete_on_termination: true }] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id;
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    const root = server['os-extended-volumes:volumes_attached'][0].id as string;
    assert.ok(!before.includes(root));
    const vol = (await cinder('GET', `/volumes/${root}`)).body.volume;
    assert.equal(vol.snapshot_id, snap);
    assert.equal(vol.size, 1);
    assert.equal(fake.volumes(id).get(root)?.device, '/dev/vda');
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    await until('the volume made from the snapshot deleted', async () => (await cinder('GET', `/volumes/${root}`)).status === 404);
    await cinder('DELETE', `/snapshots/${snap}`);
  });

  it('adds volumes mapped at create to an image server: a blank one and the user\'s, after the root disk', async () => {
    const data = (await cinder('POST', '/volumes', { volume: { size: 1, name: 'data' } })).body.volume.id as string;
    await waitVolume(data, 'available');
    const res = await create({
      imageRef: c.imageId,
      block_device_mapping_v2: [
        { uuid: c.imageId, source_type: 'image', destination_type: 'local', boot_index: 0, delete_on_termination: true },
        { source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: -1, delete_on_termination: true },
        { uuid: data, source_type: 'volume', device_name: 'vdc' },
      ],
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id;
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR');
    assert.equal(server.status, 'ACTIVE', JSON.stringify(server.fault));
    assert.equal(server.image.id, c.imageId);
    const attachments = (await c.call('GET', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.alice.token, version: V })).body.volumeAttachments as { volumeId: string; device: string }[];
    assert.deepEqual(attachments.map((a) => a.device).sort(), ['/dev/vdb', '/dev/vdc']);
    assert.equal(attachments.find((a) => a.device === '/dev/vdc')?.volumeId, data);
    const blank = attachments.find((a) => a.device === '/dev/vdb')!.volumeId;
    assert.equal(await volumeStatus(blank), 'in-use');
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    await until('the blank volume deleted', async () => (await cinder('GET', `/volumes/${blank}`)).status === 404);
    await waitVolume(data, 'available');
  });

  it('undoes a failed build: the volume it made is deleted, the user\'s volume stays reserved until the server goes', async () => {
    const vol = await bootableVolume('kept');
    const before = await projectVolumes();
    const res = await create({
      name: 'doomed',
      block_device_mapping_v2: [
        { uuid: vol, source_type: 'volume', boot_index: 0 },
        { uuid: c.imageId, source_type: 'image', destination_type: 'volume', volume_size: 1, boot_index: 1 },
      ],
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id;
    // The driver's 4xx is not rescheduled: the server goes to ERROR with it.
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ERROR');
    assert.match(server.fault.message, /refused to start/);
    await until('the build\'s own volume deleted', async () => (await projectVolumes()).length === before.length);
    assert.deepEqual((await projectVolumes()).sort(), before.sort());
    assert.equal(await volumeStatus(vol), 'in-use', 'still the server\'s');
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    await waitVolume(vol, 'available');
    assert.deepEqual((await projectVolumes()).sort(), before.sort());
  });

  it('refuses what Nova refuses, with a 400 and nothing created or reserved', async () => {
    const vol = await bootableVolume('bad-input');
    const blankVol = (await cinder('POST', '/volumes', { volume: { size: 1, name: 'not-bootable' } })).body.volume.id as string;
    await waitVolume(blankVol, 'available');
    const count = await servers();
    const volumes = (await projectVolumes()).length;
    const missing = '00000000-0000-0000-0000-000000000000';
    const root = (extra: Record<string, unknown> = {}) => ({ uuid: vol, source_type: 'volume', destination_type: 'volume', boot_index: 0, ...extra });
    const cases: [string, Record<string, unknown>, string?, RegExp?][] = [
      ['two boot devices', { block_device_mapping_v2: [root(), { uuid: blankVol, source_type: 'volume', boot_index: 0 }] }, V, /Boot sequence/],
      ['a gap in the boot sequence', { block_device_mapping_v2: [root(), { source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: 2 }] }, V, /Boot sequence/],
      ['no image and no boot device', { block_device_mapping_v2: [root({ boot_index: -1 })] }, V, /Boot sequence/],
      ['no image at all', {}, V, /Boot sequence/],
      ['a missing volume', { block_device_mapping_v2: [root({ uuid: missing })] }, V, /failed to get volume/],
      ['a missing snapshot', { block_device_mapping_v2: [{ uuid: missing, source_type: 'snapshot', destination_type: 'volume', boot_index: 0 }] }, V, /failed to get snapshot/],
      ['a missing image', { block_device_mapping_v2: [{ uuid: missing, source_type: 'image', destination_type: 'volume', boot_index: 0, volume_size: 1 }] }, V, /could not be found/],
      ['a volume that does not boot', { block_device_mapping_v2: [root({ uuid: blankVol })] }, V, /not bootable/],
      ['a blank volume without a size', { imageRef: c.imageId, block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'volume' }] }, V, /non-zero size/],
      ['a blank with a uuid', { imageRef: c.imageId, block_device_mapping_v2: [{ source_type: 'blank', uuid: vol, destination_type: 'volume', volume_size: 1 }] }, V, /Invalid device UUID/],
      ['a volume without its uuid', { block_device_mapping_v2: [{ source_type: 'volume', boot_index: 0 }] }, V, /Missing device UUID/],
      ['an image to a local disk', { block_device_mapping_v2: [{ uuid: c.imageId, source_type: 'image', destination_type: 'local', boot_index: 0 }] }, V, /Mapping image to local/],
      ['a local swap disk the flavor has no swap for', { imageRef: c.imageId, block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'local', guest_format: 'swap', volume_size: 1 }] }, V, /Swap drive requested is larger than instance type allows/],
      ['a tag before 2.42', { block_device_mapping_v2: [root({ tag: 'root' })] }, '2.41', /'tag' was unexpected/],
      ['a volume_type before 2.67', { block_device_mapping_v2: [root({ volume_type: 'lvm' })] }, V, /'volume_type' was unexpected/],
      ['an unknown source', { block_device_mapping_v2: [root({ source_type: 'nfs' })] }, V],
      ['an unknown key', { block_device_mapping_v2: [root({ size: 1 })] }, V],
      ['a zero size', { block_device_mapping_v2: [{ uuid: c.imageId, source_type: 'image', destination_type: 'volume', boot_index: 0, volume_size: 0 }] }, V],
      ['a volume for two servers', { block_device_mapping_v2: [root()], min_count: 2 }, V, /multiple instances/],
    ];
    for (const [why, body, version, message] of cases) {
      const res = await create(body, version);
      assert.equal(res.status, 400, `${why}: ${JSON.stringify(res.body)}`);
      if (message) assert.match(res.body.badRequest.message, message, why);
    }
    assert.equal(await servers(), count);
    assert.equal((await projectVolumes()).length, volumes);
    assert.equal(await volumeStatus(vol), 'available', 'nothing reserved the volume');
    // A volume in use by another server cannot be booted from.
    const first = await create({ block_device_mapping_v2: [root()] });
    assert.equal(first.status, 202);
    const second = await create({ block_device_mapping_v2: [root()] });
    assert.equal(second.status, 400);
    assert.match(second.body.badRequest.message, /status must be available|cannot be reserved/);
    await c.call('DELETE', `/v2.1/servers/${first.body.server.id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(first.body.server.id, c.as.alice.token, (s) => s === undefined);
    await waitVolume(vol, 'available');
  });
});
