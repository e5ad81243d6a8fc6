// Boot from volume as the openstack CLI drives it (python3-openstackclient Zed, fake hypervisor, Block Storage's file
// driver): `server create --volume`, `--image --boot-from-volume`, `--block-device … delete_on_termination=true`;
// what `server show` says of the image and the volumes; what a delete keeps (the user's volume, and the volume
// --boot-from-volume made, which Nova keeps too: its delete_on_termination defaults to false) and deletes; refusals.
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
});
