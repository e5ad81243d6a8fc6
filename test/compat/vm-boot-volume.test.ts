// Real VMs from volumes and with the flavor's local disks, through the openstack CLI against `stratus up` (qemu under
// TCG, Block Storage's file driver): the cirros-like image copied into a volume boots to its READY line, and a flavor
// with an ephemeral and a swap disk gives the guest vdb and vdc of those sizes (the guest prints /proc/partitions on
// its serial console). Config drives keep the guests independent of a router for their metadata.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { until, useVmCloud, vmSkipReason } from './vm-harness.ts';
import type { Row } from './vm-harness.ts';

describe('real VMs booted from volumes and with ephemeral and swap disks', { skip: vmSkipReason() }, () => {
  const vm = useVmCloud();
  const json = <T = Row>(args: string[]): Promise<T> => vm().json<T>(args);
  const ok = (args: string[]) => vm().ok(args);
  /** The server's console log once it matches `re` (the guest prints /proc/partitions after its READY line). */
  const consoleShows = async (name: string, re: RegExp) => {
    let last = '';
    try {
      return await until(`${name}'s console to match ${re}`, async () => {
        last = (await vm().cloud.openstack(['console', 'log', 'show', name])).stdout;
        return re.test(last) ? last : undefined;
      }, 240_000, 2000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; console so far:\n${last.slice(-3000)}`);
    }
  };
  const create = (name: string, args: string[]) =>
    json(['server', 'create', '--network', 'private', '--config-drive', 'True', '--wait', ...args, name]);

  it('boots the cirros-like image from a volume made by --boot-from-volume', async () => {
    await vm().guestImage();
    await ok(['network', 'create', 'private']);
    await ok(['subnet', 'create', '--network', 'private', '--subnet-range', '10.30.0.0/24', 'private-subnet']);
    const server = await create('bfv-vm', ['--image', 'cirros-like', '--flavor', 'm1.tiny', '--boot-from-volume', '1']);
    assert.equal(server.status, 'ACTIVE');
    assert.equal((await json(['server', 'show', 'bfv-vm'])).image, 'N/A (booted from volume)');
    const log = await consoleShows('bfv-vm', /STRATUS-GUEST-READY hostname=bfv-vm[\s\S]*\bvdb\r?$/m);
    assert.match(log, /^\s+\d+\s+\d+\s+1048576 vda\r?$/m, 'the 1 GiB volume is the guest\'s vda');
    const volumes = await json<Row[]>(['volume', 'list']);
    assert.deepEqual(volumes.map((v) => [v.Status, v.Size]), [['in-use', 1]]);
    // No image overlay on the host: the root disk is the volume's file.
    const dir = join(vm().cloud.dataDir, 'instances', String(server.id));
    assert.ok(existsSync(join(dir, 'guest.json')) && !existsSync(join(dir, 'disk')));
    await ok(['server', 'delete', '--wait', 'bfv-vm']);
    // Nova's default for the volume --boot-from-volume makes is delete_on_termination false: it stays.
    await until('the root volume available', async () => (await json(['volume', 'show', String(volumes[0].ID)])).status === 'available', 60_000);
    await ok(['volume', 'delete', String(volumes[0].ID)]);
  });

  it('gives a flavor\'s ephemeral (1 GiB) and swap (64 MiB) disks to the guest as vdb and vdc', async () => {
    await ok(['flavor', 'create', '--ram', '256', '--disk', '1', '--ephemeral', '1', '--swap', '64', '--vcpus', '1', 'm1.local']);
    const server = await create('eph-vm', ['--image', 'cirros-like', '--flavor', 'm1.local']);
    assert.equal(server.status, 'ACTIVE');
    const log = await consoleShows('eph-vm', /STRATUS-GUEST-READY hostname=eph-vm[\s\S]*\bvdd\r?$/m);
    assert.match(log, /^\s+\d+\s+\d+\s+1048576 vdb\r?$/m, 'the ephemeral disk');
    assert.match(log, /^\s+\d+\s+\d+\s+65536 vdc\r?$/m, 'the swap disk');
    await ok(['server', 'delete', '--wait', 'eph-vm']);
    const instances = join(vm().cloud.dataDir, 'instances');
    assert.deepEqual(readdirSync(instances).filter((d) => d !== '_base'), [], 'the local disks went with the server');
  });
});
