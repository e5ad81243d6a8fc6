// Boot from volume as the openstack CLI drives it (python3-openstackclient Zed, fake hypervisor, Block Storage's file
// driver): `server create --volume`, `--image --boot-from-volume`, `--block-device … delete_on_termination=true`;
// what `server show` says of the image and the volumes; what a delete keeps (the user's volume, and the volume
// --boot-from-volume made, which Nova keeps too: its delete_on_termination defaults to false) and deletes; refusals;
// `server image create` of a volume-backed server (volume snapshots and an image mapping them) and a boot from it;
// local blank disks (--swap, --ephemeral) checked against the flavor.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSkipReason, useCloud } from './harness.ts';

type Row = Record<string, unknown>;
/** Microversion 2.60: volumes_attached shows delete_on_termination (2.3+), and servers need --nic (2.37+). */
const V = ['--os-compute-api-version', '2.60'];

describe('boot from volume through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud();
  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[]) => cloud().ok(args);
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 300))) if (await check()) return;
    throw new Error(`timed out waiting for ${what}`);
  };
  const volumeStatus = async (name: string) => String((await json(['volume', 'show', name])).status);
  const volumeIds = async () => (await json<Row[]>(['volume', 'list'])).map((v) => String(v.ID)).sort();
  const create = (args: string[], name: string) => json([...V, 'server', 'create', '--flavor', 'm1.tiny', '--nic', 'none', '--wait', ...args, name]);
  const attached = async (name: string) => (await json([...V, 'server', 'show', name])).volumes_attached as { id: string; delete_on_termination: boolean }[];

  it('boots from a bootable volume (--volume), shows no image and the volume, and keeps the volume on delete', async () => {
    const file = join(cloud().dataDir, 'bfv.img');
    writeFileSync(file, Buffer.alloc(1024 * 1024, 0));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'bfv-img']);
    await ok(['volume', 'create', '--image', 'bfv-img', '--size', '1', 'boot-vol']);
    await until('boot-vol available', async () => (await volumeStatus('boot-vol')) === 'available');
    const vol = await json(['volume', 'show', 'boot-vol']);
    assert.equal(vol.bootable, 'true');

    const server = await create(['--volume', 'boot-vol'], 'bfv-1');
    assert.equal(server.status, 'ACTIVE');
    const shown = await json([...V, 'server', 'show', 'bfv-1']);
    assert.equal(shown.image, 'N/A (booted from volume)');
    assert.deepEqual(shown.volumes_attached, [{ id: vol.id, delete_on_termination: false }]);
    assert.equal(await volumeStatus('boot-vol'), 'in-use');
    assert.match(JSON.stringify((await json(['volume', 'show', 'boot-vol'])).attachments), new RegExp(String(server.id)));
    // The root volume cannot be detached from under the guest.
    await cloud().fails([...V, 'server', 'remove', 'volume', 'bfv-1', 'boot-vol'], /Cannot detach a root device volume/);

    await ok(['server', 'delete', '--wait', 'bfv-1']);
    await until('boot-vol available again', async () => (await volumeStatus('boot-vol')) === 'available');
  });

  it('makes the root volume from an image (--boot-from-volume), and deletes it with the server only when asked to', async () => {
    const before = await volumeIds();
    const server = await create(['--image', 'bfv-img', '--boot-from-volume', '1'], 'bfv-2');
    assert.equal(server.status, 'ACTIVE');
    assert.equal((await json([...V, 'server', 'show', 'bfv-2'])).image, 'N/A (booted from volume)');
    const made = (await volumeIds()).filter((id) => !before.includes(id));
    assert.equal(made.length, 1, 'one volume made from the image');
    const root = await json(['volume', 'show', made[0]]);
    assert.deepEqual([root.status, root.size, root.bootable], ['in-use', 1, 'true']);
    assert.deepEqual(await attached('bfv-2'), [{ id: made[0], delete_on_termination: false }]);
    await ok(['server', 'delete', '--wait', 'bfv-2']);
    await until('the volume made from the image available', async () => (await volumeStatus(made[0])) === 'available');
    await ok(['volume', 'delete', made[0]]);

    // A second disk made from the image, marked delete_on_termination, beside the user's boot volume.
    const image = String((await json(['image', 'show', 'bfv-img'])).id);
    const third = await create(['--volume', 'boot-vol', '--block-device',
      `uuid=${image},source_type=image,destination_type=volume,volume_size=1,boot_index=1,delete_on_termination=true`], 'bfv-3');
    assert.equal(third.status, 'ACTIVE');
    const made3 = (await volumeIds()).filter((id) => !before.includes(id));
    assert.equal(made3.length, 1);
    const bootVol = String((await json(['volume', 'show', 'boot-vol'])).id);
    assert.deepEqual((await attached('bfv-3')).sort((a, b) => Number(a.delete_on_termination) - Number(b.delete_on_termination)),
      [{ id: bootVol, delete_on_termination: false }, { id: made3[0], delete_on_termination: true }]);
    await ok(['server', 'delete', '--wait', 'bfv-3']);
    await until('the made volume deleted with its server', async () => (await volumeIds()).join() === before.join());
    assert.equal(await volumeStatus('boot-vol'), 'available', 'the user\'s volume is kept');
  });

  it('snapshots a volume-backed server (server image create) and boots another server from that image', async () => {
    await create(['--volume', 'boot-vol'], 'bfv-4');
    const before = await volumeIds();
    const bootVol = String((await json(['volume', 'show', 'boot-vol'])).id);
    const image = await json([...V, 'server', 'image', 'create', '--name', 'bfv-snap', '--wait', 'bfv-4']);
    assert.equal(image.status, 'active');
    const shown = await json(['image', 'show', 'bfv-snap']);
    assert.equal(shown.size, 0, 'an empty image: the data is in the volume snapshots');
    const props = shown.properties as Record<string, string>;
    assert.equal(props.bdm_v2, 'True');
    assert.equal(props.root_device_name, '/dev/vda');
    const mapping = JSON.parse(props.block_device_mapping) as { snapshot_id: string; source_type: string; boot_index: number; volume_size: number }[];
    assert.equal(mapping.length, 1);
    assert.deepEqual([mapping[0].source_type, mapping[0].boot_index, mapping[0].volume_size], ['snapshot', 0, 1]);
    const snapshot = await json(['volume', 'snapshot', 'show', mapping[0].snapshot_id]);
    assert.deepEqual([snapshot.status, snapshot.volume_id], ['available', bootVol]);

    const server = await create(['--image', 'bfv-snap'], 'bfv-5');
    assert.equal(server.status, 'ACTIVE');
    const volumes = await attached('bfv-5');
    assert.equal(volumes.length, 1);
    assert.ok(!before.includes(volumes[0].id), 'a new root volume');
    const root = await json(['volume', 'show', volumes[0].id]);
    assert.deepEqual([root.status, root.snapshot_id, root.bootable], ['in-use', mapping[0].snapshot_id, 'true']);

    // The cloud goes with the suite: only boot-vol, which the next test boots from, needs to be free again.
    await ok(['server', 'delete', '--wait', 'bfv-5', 'bfv-4']);
    await until('boot-vol available again', async () => (await volumeStatus('boot-vol')) === 'available');
  });

  it('refuses two boot devices and a missing volume with a 400, creating nothing', async () => {
    const servers = (await json<Row[]>(['server', 'list'])).length;
    const vol = String((await json(['volume', 'show', 'boot-vol'])).id);
    const twice = `uuid=${vol},source_type=volume,destination_type=volume,boot_index=0`;
    await cloud().fails([...V, 'server', 'create', '--flavor', 'm1.tiny', '--nic', 'none', '--volume', 'boot-vol', '--block-device', twice, 'bad-1'],
      /Boot sequence for the instance and image\/block device mapping combination is not valid.*HTTP 400/);
    await cloud().fails([...V, 'server', 'create', '--flavor', 'm1.tiny', '--nic', 'none', '--volume', 'boot-vol', '--block-device',
      'uuid=00000000-0000-0000-0000-000000000000,source_type=volume,destination_type=volume,boot_index=1', 'bad-2'], /failed to get volume.*HTTP 400/);
    assert.equal((await json<Row[]>(['server', 'list'])).length, servers);
    assert.equal(await volumeStatus('boot-vol'), 'available');
  });

  it('makes local swap and ephemeral disks (--swap, --ephemeral) within the flavor\'s, and refuses bigger ones', async () => {
    await ok(['flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '1', '--ephemeral', '2', '--swap', '512', 'm1.eph']);
    const local = ['server', 'create', '--flavor', 'm1.eph', '--image', 'bfv-img', '--nic', 'none'];
    const server = await json([...V, ...local, '--swap', '256', '--ephemeral', 'size=1,format=ext3', '--wait', 'local-1']);
    assert.equal(server.status, 'ACTIVE');
    assert.deepEqual(await attached('local-1'), [], 'local disks are no volumes');
    await cloud().fails([...V, ...local, '--swap', '1024', 'bad-swap'], /Swap drive requested is larger than instance type allows.*HTTP 400/);
    await cloud().fails([...V, ...local, '--ephemeral', 'size=3', 'bad-eph'], /Ephemeral disks requested are larger than the instance type allows.*HTTP 400/);
    await ok(['server', 'delete', '--wait', 'local-1']);
  });
});
