// The qemu driver's local disks as block_device_mapping_v2 asks for them (no guest needed): an ephemeral disk with the
// file system asked for (labelled ephemeral0), a swap disk of the MiB asked for, each a qcow2 of that virtual size; a
// file system the host cannot make is refused and leaves no file.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { createDiskTool } from './disks.ts';
import { createEphemeralDisk, createSwapDisk } from './local-disks.ts';
import { qemuSuiteSkipReason, SBIN_ENV } from './test-guest-disk.ts';

const skip = qemuSuiteSkipReason('local disks test', [['qemu-img', '--version'], ['mkfs.ext3', '-V'], ['mkswap', '--version'], ['blkid', '-V']], 'qemu-utils, e2fsprogs, util-linux');

describe('qemu local disks from block_device_mapping_v2', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-local-disks-'));
  const log = silentLogger();
  const o = { disks: createDiskTool({ log }), log };
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** What blkid says of a qcow2 disk's content, and its virtual size (qemu-img info). */
  const inspect = (qcow2: string) => {
    const raw = `${qcow2}.inspect.raw`;
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, raw]);
    try {
      const tag = (t: string) => execFileSync('blkid', ['-o', 'value', '-s', t, raw], { encoding: 'utf8', env: SBIN_ENV }).trim();
      const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-f', 'qcow2', qcow2], { encoding: 'utf8' })) as { 'virtual-size': number };
      return { type: tag('TYPE'), label: tag('LABEL'), size: info['virtual-size'] };
    } finally { rmSync(raw, { force: true }); }
  };

  it('makes an ext3 ephemeral disk labelled ephemeral0 and a 64 MiB swap disk', async () => {
    await createEphemeralDisk(o, join(dir, 'disk.eph0'), 1, 'ext3');
    assert.deepEqual(inspect(join(dir, 'disk.eph0')), { type: 'ext3', label: 'ephemeral0', size: 1024 ** 3 });
    await createSwapDisk(o, join(dir, 'disk.swap'), 64);
    const swap = inspect(join(dir, 'disk.swap'));
    assert.deepEqual([swap.type, swap.size], ['swap', 64 * 1024 ** 2]);
  });

  it('refuses a file system it cannot make, leaving nothing', async () => {
    const path = join(dir, 'disk.bad');
    await assert.rejects(createEphemeralDisk(o, path, 1, 'zfs'), /cannot make an ephemeral disk with file system zfs/);
    assert.equal(existsSync(path), false);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('disk.bad')), []);
  });
});
