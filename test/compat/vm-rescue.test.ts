// Rescue and diagnostics of a real VM (qemu driver, TCG) through the openstack CLI. The cirros-like guest prints
// /proc/partitions after its READY line, which tells the disks apart by size: the server's own disk is the flavor's
// 1 GiB, the rescue disk keeps the image's size. So the console shows the rescue boot running from the rescue disk
// (vda) with the server's disk attached as vdb, and after unrescue the server's own disk as vda again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, until, useVmCloud, vmSkipReason } from './vm-harness.ts';
import type { Row } from './vm-harness.ts';

/** m1.tiny's root disk in the 1 KiB blocks of /proc/partitions. */
const FLAVOR_DISK_BLOCKS = 1024 * 1024;

describe('rescue and diagnostics of a real VM through the openstack CLI', { skip: vmSkipReason() }, () => {
  const vm = useVmCloud();
  const json = <T = Row>(args: string[]): Promise<T> => vm().json<T>(args);
  const ok = (args: string[]) => vm().ok(args);

  /** The virtio disks (name → 1 KiB blocks) the guest listed after its `boot`-th READY line. */
  const disksAtBoot = (boot: number) => until(`boot ${boot}'s partitions`, async () => {
    const out = (await vm().cloud.openstack(['console', 'log', 'show', 'vm-r'])).stdout;
    const after = out.split('STRATUS-GUEST-READY')[boot];
    if (after === undefined) return undefined;
    const disks: Record<string, number> = Object.fromEntries([...after.matchAll(/^\s*\d+\s+\d+\s+(\d+)\s+(vd[a-z])\s*$/gm)].map((m) => [m[2], Number(m[1])]));
    return disks.vda ? disks : undefined;
  });
  /** The running QEMU's command line for the server. */
  const qemuArgs = async (id: string) => {
    const pid = (await run('pgrep', ['-f', `stratus-${id}`])).stdout.trim().split('\n')[0];
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  };

  it('rescues a running server from the rescue disk with its own disk attached, and unrescues it to its own disk', async () => {
    await vm().guestImage();
    await ok(['network', 'create', 'private']);
    await ok(['subnet', 'create', '--network', 'private', '--subnet-range', '10.30.0.0/24', 'private-subnet']);
    const server = await json(['server', 'create', '--image', 'cirros-like', '--flavor', 'm1.tiny', '--network', 'private', '--wait', 'vm-r']);
    assert.equal(server.status, 'ACTIVE');
    const id = String(server.id);
    assert.deepEqual(await disksAtBoot(1), { vda: FLAVOR_DISK_BLOCKS });

    // Diagnostics of the running guest through the API (admin, 2.48): real CPU time and the reads of its boot.
    const diag = await json(['--os-compute-api-version', '2.48', 'server', 'show', '--diagnostics', 'vm-r']);
    assert.deepEqual([diag.state, diag.driver, diag.hypervisor, diag.num_cpus, diag.num_nics, diag.num_disks], ['running', 'libvirt', 'qemu', 1, 1, 1]);
    const cpu = (diag.cpu_details as Row[])[0];
    const disk = (diag.disk_details as Row[])[0];
    assert.ok(Number(cpu.time) > 0, `CPU time ${String(cpu.time)}`);
    assert.ok(Number(disk.read_bytes) > 0 && Number(disk.read_requests) > 0, `disk reads ${JSON.stringify(disk)}`);
    assert.equal((diag.memory_details as Row).maximum, 512);
    assert.ok(Number((diag.memory_details as Row).used) > 0);
    assert.ok(Number((diag.nic_details as Row[])[0].rx_packets) > 0, 'the guest received its DHCP answer');

    await ok(['server', 'rescue', 'vm-r']);
    await vm().settle('vm-r', 'RESCUE');
    const rescued = await disksAtBoot(2);
    assert.equal(rescued.vdb, FLAVOR_DISK_BLOCKS, `the server's disk is the rescue guest's second disk: ${JSON.stringify(rescued)}`);
    assert.notEqual(rescued.vda, FLAVOR_DISK_BLOCKS, 'the rescue guest booted the rescue disk (the image\'s size)');
    const args = await qemuArgs(id);
    assert.ok(args.some((a) => a.includes('drive=rescue') && a.includes('bootindex=0')), args.join(' '));
    assert.ok(existsSync(join(vm().cloud.dataDir, 'instances', id, 'disk.rescue')));

    await ok(['server', 'unrescue', 'vm-r']);
    await vm().settle('vm-r', 'ACTIVE');
    assert.deepEqual(await disksAtBoot(3), { vda: FLAVOR_DISK_BLOCKS });
    assert.equal(existsSync(join(vm().cloud.dataDir, 'instances', id, 'disk.rescue')), false, 'the rescue disk is gone');
    const events = await json<Row[]>(['server', 'event', 'list', 'vm-r']);
    assert.deepEqual(events.map((e) => e.Action).sort(), ['create', 'rescue', 'unrescue']);
  });

  it('deletes a rescued server with its rescue disk', async () => {
    await ok(['server', 'rescue', 'vm-r']);
    await vm().settle('vm-r', 'RESCUE');
    await ok(['server', 'delete', '--wait', 'vm-r']);
    const instances = join(vm().cloud.dataDir, 'instances');
    assert.deepEqual(existsSync(instances) ? readdirSync(instances).filter((d) => d !== '_base') : [], []);
    assert.equal((await run('pgrep', ['-f', `qemu-system-x86_64.*${vm().cloud.dataDir}`])).stdout.trim(), '', 'no qemu of this cloud runs');
  });
});
