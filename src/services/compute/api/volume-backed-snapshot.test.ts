// createImage of a volume-backed server through the whole flow (fake drivers): every volume snapshotted in Block
// Storage, an empty active image whose properties map those snapshots, and a server booted from that image gets new
// volumes made from them; over the snapshot quota it is a 403 that leaves nothing behind. Unit checks of the
// image-defined mappings and their merge with a request's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import type { FakeDriver } from '../agent/drivers/fake/fake-driver.ts';
import { imageDefinedBdms, mergeImageBdms } from './image-defined-bdms.ts';
import type { ImageRecord } from '#services/image/contract/client.ts';

const V = '2.60';

describe('image-defined block device mappings', () => {
  const image = (props: Record<string, unknown>) => ({ id: 'i', status: 'active', ...props }) as unknown as ImageRecord;
  const root = { source_type: 'snapshot', destination_type: 'volume', snapshot_id: 's1', volume_id: null, boot_index: 0, device_name: '/dev/vda', volume_size: 2, delete_on_termination: true, tag: null };

  it('reads v2 mappings from the JSON property, ignores images without them, refuses malformed ones', () => {
    assert.deepEqual(imageDefinedBdms(image({ block_device_mapping: JSON.stringify([root]), bdm_v2: 'True' })), [
      { source_type: 'snapshot', uuid: 's1', destination_type: 'volume', boot_index: 0, device_name: '/dev/vda', volume_size: 2, delete_on_termination: true },
    ]);
    assert.deepEqual(imageDefinedBdms(image({})), []);
    assert.deepEqual(imageDefinedBdms(undefined), []);
    assert.throws(() => imageDefinedBdms(image({ block_device_mapping: '{not json', bdm_v2: 'True' })), /Invalid image metadata/);
    assert.throws(() => imageDefinedBdms(image({ block_device_mapping: '{"a":1}', bdm_v2: 'True' })), /A list is required/);
    assert.throws(() => imageDefinedBdms(image({ block_device_mapping: '[{"source_type":"snapshot"}]', bdm_v2: 'True' })), /needs its snapshot_id/);
  });

  it('merges: the request wins per device, an image root drops the client\'s image → local root', () => {
    const fromImage = imageDefinedBdms(image({ block_device_mapping: JSON.stringify([root, { ...root, snapshot_id: 's2', boot_index: null, device_name: '/dev/vdb' }]), bdm_v2: 'True' }));
    const clientRoot = { source_type: 'image' as const, uuid: 'i', destination_type: 'local' as const, boot_index: 0 };
    const data = { source_type: 'blank' as const, destination_type: 'volume' as const, device_name: 'vdb', volume_size: 1 };
    const merged = mergeImageBdms(fromImage, [clientRoot, data]);
    assert.deepEqual(merged.map((m) => m.uuid ?? m.source_type), ['s1', 'blank']);
    assert.deepEqual(mergeImageBdms([], [clientRoot]), [clientRoot]);
  });
});

describe('createImage of a volume-backed server', () => {
  let c: TestCompute;
  let fake: FakeDriver;
  const cinder = async (method: string, path: string, body?: unknown, token = c.as.alice.token) => {
    const res = await fetch(`${c.volumeUrl}${path}`, {
      method, headers: { 'x-auth-token': token, 'openstack-api-version': 'volume 3.60', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const glance = async (path: string) => (await fetch(`${c.imageUrl}${path}`, { headers: { 'x-auth-token': c.as.alice.token } })).json() as Promise<Record<string, unknown>>;
  const snapshots = async () => ((await cinder('GET', '/snapshots')).body.snapshots as { id: string }[]).map((s) => s.id).sort();
  const create = (server: Record<string, unknown>) =>
    c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'bfv', flavorRef: '1', networks: 'none', ...server } } });
  const act = (id: string, body: unknown, version = '2.45') => c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version, body });
  let server: string;
  let volumes: { id: string; delete_on_termination: boolean }[];

  before(async () => {
    c = await startCompute({}, { hosts: ['host-a'] });
    fake = c.drivers['host-a'] as FakeDriver;
    const res = await create({ block_device_mapping_v2: [
      { uuid: c.imageId, source_type: 'image', destination_type: 'volume', boot_index: 0, volume_size: 2, delete_on_termination: true },
      { source_type: 'blank', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
    ] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    server = res.body.server.id;
    volumes = (await c.waitForServer(server, c.as.alice.token, (s) => s?.status === 'ACTIVE'))['os-extended-volumes:volumes_attached'];
    assert.equal(volumes.length, 2);
  });
  after(async () => { await c?.close(); });

  let imageId: string;
  it('snapshots every volume in Block Storage and registers an empty image mapping them', async () => {
    const res = await act(server, { createImage: { name: 'bfv-snap', metadata: { purpose: 'test' } } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    imageId = res.body.image_id;
    const image = await glance(`/v2/images/${imageId}`);
    assert.equal(image.status, 'active');
    assert.equal(image.size, 0);
    assert.equal(image.visibility, 'private');
    assert.equal(image.purpose, 'test');
    assert.equal(image.bdm_v2, 'True');
    assert.equal(image.root_device_name, '/dev/vda');
    const mapping = JSON.parse(String(image.block_device_mapping)) as Record<string, unknown>[];
    assert.equal(mapping.length, 2);
    const [root, data] = [mapping.find((m) => m.boot_index === 0)!, mapping.find((m) => m.boot_index !== 0)!];
    assert.deepEqual({ ...root, snapshot_id: 'x' }, {
      source_type: 'snapshot', destination_type: 'volume', snapshot_id: 'x', volume_id: null, image_id: null, boot_index: 0, device_name: '/dev/vda',
      volume_size: 2, delete_on_termination: true, disk_bus: null, device_type: null, guest_format: null, no_device: null, tag: null, volume_type: null,
    });
    assert.equal(data.volume_size, 1);
    for (const m of mapping) {
      const snap = (await cinder('GET', `/snapshots/${String(m.snapshot_id)}`)).body.snapshot;
      assert.equal(snap.status, 'available');
      assert.equal(snap.name, 'snapshot for bfv-snap');
      assert.ok(volumes.some((v) => v.id === snap.volume_id));
    }
    const s = (await c.call('GET', `/v2.1/servers/${server}`, { token: c.as.alice.token, version: V })).body.server;
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    const actions = (await c.call('GET', `/v2.1/servers/${server}/os-instance-actions`, { token: c.as.alice.token, version: V })).body.instanceActions;
    const action = actions.find((a: { action: string }) => a.action === 'createImage');
    const events = (await c.call('GET', `/v2.1/servers/${server}/os-instance-actions/${action.request_id}`, { token: c.as.admin.token, version: V })).body.instanceAction.events;
    assert.deepEqual(events.map((e: { event: string; result: string }) => [e.event, e.result]), [['api_snapshot_instance', 'Success']]);
  });

  it('boots a server from that image: new volumes made from the snapshots, the root at vda', async () => {
    const image = await glance(`/v2/images/${imageId}`);
    const mapping = JSON.parse(String(image.block_device_mapping)) as { snapshot_id: string; boot_index: number | null }[];
    // As novaclient sends it: the image → local root is dropped for the image's own root mapping.
    const res = await create({ imageRef: imageId, block_device_mapping_v2: [{ uuid: imageId, source_type: 'image', destination_type: 'local', boot_index: 0, delete_on_termination: true }] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id;
    const booted = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    const attached = booted['os-extended-volumes:volumes_attached'] as { id: string; delete_on_termination: boolean }[];
    assert.equal(attached.length, 2);
    assert.ok(attached.every((a) => a.delete_on_termination));
    const made = await Promise.all(attached.map(async (a) => (await cinder('GET', `/volumes/${a.id}`)).body.volume));
    assert.deepEqual(made.map((v) => v.snapshot_id).sort(), mapping.map((m) => m.snapshot_id).sort());
    const rootSnap = mapping.find((m) => m.boot_index === 0)!.snapshot_id;
    const rootVolume = made.find((v) => v.snapshot_id === rootSnap);
    assert.equal(rootVolume.size, 2);
    assert.equal(fake.volumes(id).get(rootVolume.id)?.device, '/dev/vda');
    assert.equal(fake.guest(id)?.image, null, 'the driver boots it from the volume');
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
  });

  it('answers 403 over the snapshot quota, leaving no snapshot and no image', async () => {
    const before = await snapshots();
    const images = async () => ((await glance('/v2/images')).images as unknown[]).length;
    const imagesBefore = await images();
    const quota = (n: number) => cinder('PUT', `/os-quota-sets/${c.as.alice.projectId}`, { quota_set: { snapshots: n } }, c.as.admin.token);
    assert.equal((await quota(before.length + 1)).status, 200);
    try {
      const res = await act(server, { createImage: { name: 'too-many' } });
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.match(res.body.forbidden.message, /Quota exceeded/);
      for (let i = 0; i < 100 && (await snapshots()).length !== before.length; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await snapshots(), before);
      assert.equal(await images(), imagesBefore);
    } finally {
      await quota(-1);
    }
  });

  it('refuses wrong states and other projects, changing nothing', async () => {
    const before = await snapshots();
    assert.equal((await c.call('POST', `/v2.1/servers/${server}/action`, { token: c.as.bob.token, version: V, body: { createImage: { name: 'x' } } })).status, 404);
    assert.equal((await act(server, { rescue: null })).status, 400, 'a volume-backed server is not rescued (2.87)');
    assert.equal((await act(server, { lock: null })).status, 202);
    assert.equal((await act(server, { createImage: { name: 'x' } })).status, 409, 'locked');
    assert.equal((await act(server, { unlock: null })).status, 202);
    assert.deepEqual(await snapshots(), before);
  });

  it('deletes the server, keeping its delete_on_termination volumes that now have snapshots (as Nova does)', async () => {
    assert.equal((await c.call('DELETE', `/v2.1/servers/${server}`, { token: c.as.alice.token, version: V })).status, 204);
    await c.waitForServer(server, c.as.alice.token, (s) => s === undefined);
    for (const v of volumes) {
      const vol = (await cinder('GET', `/volumes/${v.id}`)).body.volume;
      assert.equal(vol.status, 'available', 'detached, and kept: Block Storage does not delete a volume with snapshots');
    }
  });
});
