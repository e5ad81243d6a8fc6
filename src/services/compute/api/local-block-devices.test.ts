// Local blank disks in block_device_mapping_v2 through the whole flow (fake driver): an ephemeral disk with its file
// system and a swap disk take the place of the flavor's, the claim stays the flavor's, a volume attached later goes
// after them; Nova's refusals (sizes beyond the flavor, two swaps, a local boot device…) are 400s that create nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import type { FakeDriver } from '../agent/drivers/fake/fake-driver.ts';
import { checkLocalDisks } from './local-block-devices.ts';
import type { Flavor } from '../domain/flavor.ts';

const V = '2.60';
const blank = (extra: Record<string, unknown>) => ({ source_type: 'blank', destination_type: 'local', boot_index: -1, ...extra });

describe('checkLocalDisks', () => {
  const flavor = { ephemeral: 2, swap: 512 } as Flavor;
  it('fills in the flavor\'s sizes and keeps what fits', () => {
    const disks = [{ guestFormat: null, volumeSize: null }, { guestFormat: 'swap', volumeSize: null }];
    checkLocalDisks(disks, flavor);
    assert.deepEqual(disks.map((d) => d.volumeSize), [2, 512]);
    assert.doesNotThrow(() => checkLocalDisks([{ guestFormat: 'ext2', volumeSize: 1 }], flavor));
  });
  it('refuses as Nova does', () => {
    assert.throws(() => checkLocalDisks([{ guestFormat: null, volumeSize: null }], { ...flavor, ephemeral: 0 }), /Ephemeral disks requested are larger/);
    assert.throws(() => checkLocalDisks([{ guestFormat: 'swap', volumeSize: null }], { ...flavor, swap: 0 }), /swap disk needs a size/);
    assert.throws(() => checkLocalDisks([{ guestFormat: 'ntfs', volumeSize: 1 }], flavor), /guest_format ntfs is not supported/);
  });
});

describe('local blank disks in block_device_mapping_v2', () => {
  let c: TestCompute;
  let fake: FakeDriver;
  const create = (server: Record<string, unknown>) =>
    c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name: 'local', imageRef: c.imageId, flavorRef: 'eph', networks: 'none', ...server } } });
  const serverCount = async () => (await c.call('GET', '/v2.1/servers', { token: c.as.alice.token, version: V })).body.servers.length as number;

  before(async () => {
    c = await startCompute({}, { hosts: ['host-a'] });
    fake = c.drivers['host-a'] as FakeDriver;
    const flavor = await c.call('POST', '/v2.1/flavors', {
      token: c.as.admin.token, body: { flavor: { id: 'eph', name: 'm1.eph', ram: 256, vcpus: 1, disk: 1, 'OS-FLV-EXT-DATA:ephemeral': 2, swap: 512 } },
    });
    assert.equal(flavor.status, 200, JSON.stringify(flavor.body));
  });
  after(async () => { await c?.close(); });

  it('builds the ephemeral and swap disks asked for instead of the flavor\'s, claims the flavor, and attaches volumes after them', async () => {
    const res = await create({ block_device_mapping_v2: [
      { uuid: c.imageId, source_type: 'image', destination_type: 'local', boot_index: 0, delete_on_termination: true },
      blank({ guest_format: 'ext3', volume_size: 1 }), blank({ guest_format: 'swap', volume_size: 256 }),
    ] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id;
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.deepEqual(server['os-extended-volumes:volumes_attached'], [], 'local disks are no volumes');
    const guest = fake.guest(id)!;
    assert.deepEqual([guest.ephemeralGb, guest.ephemeralFormat, guest.swapMb], [1, 'ext3', 256]);
    const allocations = await (await fetch(`${c.placementUrl}/allocations/${id}`, { headers: { 'x-auth-token': c.as.admin.token } })).json() as
      { allocations: Record<string, { resources: Record<string, number> }> };
    assert.equal(Object.values(allocations.allocations)[0].resources.DISK_GB, 1 + 2 + 1, 'the flavor\'s root, ephemeral and swap');

    const vol = await fetch(`${c.volumeUrl}/volumes`, {
      method: 'POST', headers: { 'x-auth-token': c.as.alice.token, 'content-type': 'application/json' }, body: JSON.stringify({ volume: { size: 1 } }),
    }).then((r) => r.json()) as { volume: { id: string } };
    for (let i = 0; i < 100; i++) {
      const v = await fetch(`${c.volumeUrl}/volumes/${vol.volume.id}`, { headers: { 'x-auth-token': c.as.alice.token } }).then((r) => r.json()) as { volume: { status: string } };
      if (v.volume.status === 'available') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const attach = await c.call('POST', `/v2.1/servers/${id}/os-volume_attachments`, { token: c.as.alice.token, version: V, body: { volumeAttachment: { volumeId: vol.volume.id } } });
    assert.equal(attach.status, 200, JSON.stringify(attach.body));
    assert.equal(attach.body.volumeAttachment.device, '/dev/vdd', 'after vda (root), vdb (ephemeral) and vdc (swap)');
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
  });

  it('gives an ephemeral mapping without a size the flavor\'s, and keeps the flavor\'s swap', async () => {
    const res = await create({ block_device_mapping_v2: [blank({})] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    const guest = fake.guest(id)!;
    assert.deepEqual([guest.ephemeralGb, guest.ephemeralFormat, guest.swapMb], [2, undefined, 512]);
    await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
  });

  it('keeps a volume-backed server\'s local disks in its snapshot image, and a server booted from it gets them again', async () => {
    const res = await create({ imageRef: '', block_device_mapping_v2: [
      { uuid: c.imageId, source_type: 'image', destination_type: 'volume', boot_index: 0, volume_size: 1, delete_on_termination: true },
      blank({ guest_format: 'swap', volume_size: 256 }),
    ] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.equal(fake.guest(id)!.swapMb, 256);
    const snap = await c.call('POST', `/v2.1/servers/${id}/action`, { token: c.as.alice.token, version: '2.45', body: { createImage: { name: 'with-swap' } } });
    assert.equal(snap.status, 202, JSON.stringify(snap.body));
    const image = await fetch(`${c.imageUrl}/v2/images/${snap.body.image_id}`, { headers: { 'x-auth-token': c.as.alice.token } }).then((r) => r.json()) as Record<string, string>;
    const mapping = JSON.parse(image.block_device_mapping) as Record<string, unknown>[];
    assert.deepEqual(mapping.map((m) => [m.source_type, m.destination_type, m.guest_format, m.volume_size]).sort(),
      [['blank', 'local', 'swap', 256], ['snapshot', 'volume', null, 1]]);
    const again = await create({ imageRef: snap.body.image_id });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    await c.waitForServer(again.body.server.id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
    assert.equal(fake.guest(again.body.server.id)!.swapMb, 256);
    for (const s of [id, again.body.server.id]) {
      await c.call('DELETE', `/v2.1/servers/${s}`, { token: c.as.alice.token, version: V });
      await c.waitForServer(s, c.as.alice.token, (v) => v === undefined);
    }
  });

  it('refuses what Nova refuses with a 400, creating nothing', async () => {
    const before = await serverCount();
    const cases: [string, unknown[], RegExp][] = [
      ['an ephemeral disk beyond the flavor', [blank({ volume_size: 3 })], /^Ephemeral disks requested are larger than the instance type allows/],
      ['two swap disks', [blank({ guest_format: 'swap', volume_size: 128 }), blank({ guest_format: 'swap', volume_size: 128 })], /^Block Device Mapping is Invalid: More than one swap drive requested\.$/],
      ['a swap disk beyond the flavor', [blank({ guest_format: 'swap', volume_size: 1024 })], /^Swap drive requested is larger than instance type allows\.$/],
      ['two ephemeral disks', [blank({ volume_size: 1 }), blank({ volume_size: 1 })], /one ephemeral disk per server/],
      ['an unknown file system', [blank({ guest_format: 'zfs', volume_size: 1 })], /guest_format zfs is not supported/],
      ['a local blank boot device', [blank({ boot_index: 1, volume_size: 1 })], /Boot sequence for the instance and image\/block device mapping combination is not valid/],
      ['a local blank with a uuid', [blank({ uuid: c.imageId, volume_size: 1 })], /Invalid device UUID/],
    ];
    for (const [what, mappings, message] of cases) {
      const res = await create({ block_device_mapping_v2: mappings });
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.badRequest.message, message, what);
    }
    assert.equal(await serverCount(), before);
  });
});
