// Boot from volume and the flavor's local disks in the qemu driver: the command line puts the boot volume where the
// root disk goes, and a real QEMU (TCG) boots a tiny guest from a file volume with no image, formats the ephemeral
// (ext4 `ephemeral0`) and swap disks, boots it again from the same volume after a power cycle, refuses a snapshot,
// and leaves the volume in place when the guest is destroyed.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import type { GuestSpec } from '../hypervisor-driver.ts';
import { createQemuDriver } from './qemu-driver.ts';
import type { QemuDriver } from './qemu-driver.ts';
import { guestPaths } from './guest-dir.ts';
import type { GuestRecord } from './guest-dir.ts';
import { guestPid } from './guest-process.ts';
import { buildQemuArgv } from './qemu-command.ts';
import { volumesAtSpawn } from './boot-volume.ts';
import { bootSectorDisk, QEMU_TOOLS, qemuSuiteSkipReason, SBIN_ENV } from './test-guest-disk.ts';

const BOOT_LINE = 'booted from a volume';



const spec = (uuid: string, over: Partial<GuestSpec> = {}): GuestSpec => ({
  uuid, name: 'bfv', vcpus: 1, memoryMb: 64, rootGb: 1, ephemeralGb: 0, swapMb: 0, image: null, nics: [], keyData: null, userData: null, metadata: {}, ...over,
});

describe('qemu command line of a volume-backed guest', () => {
  it('boots from the volume with boot index 0, placed before the config drive and the other volumes', () => {
    const uuid = randomUUID();
    const root = randomUUID();
    const data = randomUUID();
    const file = (id: string) => ({ driver_volume_type: 'file', data: { path: `/var/lib/stratus/volumes/${id}`, format: 'qcow2' } });
    const volumes = volumesAtSpawn([
      { volumeId: data, connectionInfo: file(data), bootIndex: null, device: '/dev/vdb' },
      { volumeId: root, connectionInfo: file(root), bootIndex: 0, device: '/dev/vda' },
    ]);
    const record: GuestRecord = { spec: spec(uuid), base: null, hasEphemeral: false, hasSwap: false, hasConfigDrive: true, volumes };
    const argv = buildQemuArgv({ record, paths: guestPaths('/srv/instances', uuid), accel: 'tcg' }).join(' ');
    const at = (needle: string) => { const i = argv.indexOf(needle); assert.ok(i >= 0, `${needle} in ${argv}`); return i; };
    assert.ok(!argv.includes('"node-name":"root"'), 'no local root disk');
    assert.match(argv, new RegExp(`id=vol-${root},serial=${root.slice(0, 20)},bootindex=0`));
    assert.ok(at(`vol-${root}`) < at('drive=config') && at('drive=config') < at(`vol-${data}`));
    assert.doesNotMatch(argv, new RegExp(`vol-${data}[^ ]*bootindex`));
  });

  it('refuses two boot volumes and volumes that are not files', () => {
    const file = { driver_volume_type: 'file', data: { path: '/v/1', format: 'raw' } };
    assert.throws(() => volumesAtSpawn([
      { volumeId: randomUUID(), connectionInfo: file, bootIndex: 0, device: '/dev/vda' }, { volumeId: randomUUID(), connectionInfo: file, bootIndex: 0, device: '/dev/vdb' },
    ]), /boot index 0/);
    assert.throws(() => volumesAtSpawn([{ volumeId: randomUUID(), connectionInfo: { driver_volume_type: 'iscsi', data: {} }, bootIndex: 0, device: '/dev/vda' }]), /'file' volumes/);
  });
});

const skip = qemuSuiteSkipReason('boot-volume test', [...QEMU_TOOLS, ['mkfs.ext4', '-V'], ['mkswap', '--version'], ['blkid', '-V']], 'qemu-system-x86, qemu-utils, e2fsprogs, util-linux');

describe('qemu driver booting from a volume', { skip }, () => {
  const dir = skip ? '' : mkdtempSync('/tmp/stratus-bfv-');
  const instancesDir = join(dir, 'instances');
  const volumeFile = join(dir, 'volume-root');
  let driver: QemuDriver | undefined;
  after(async () => {
    await driver?.close?.();
    for (const uuid of existsSync(instancesDir) ? execFileSync('ls', [instancesDir], { encoding: 'utf8' }).split('\n') : []) {
      if (!/^[0-9a-f-]{36}$/.test(uuid)) continue;
      const pid = await guestPid(guestPaths(instancesDir, uuid), uuid).catch(() => undefined);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const booted = async (uuid: string, times: number) => {
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 50))) {
      const log = await driver!.consoleOutput!({ uuid });
      if (log.split(BOOT_LINE).length - 1 >= times) return;
      if (Date.now() > deadline) throw new Error(`the guest did not boot ${times} time(s): ${JSON.stringify(log)}`);
    }
  };
  /** What blkid says of a qcow2 disk's content (converted to a raw copy first). */
  const blkid = (qcow2: string, tag: string) => {
    const raw = `${qcow2}.check`;
    execFileSync('qemu-img', ['convert', '-U', '-f', 'qcow2', '-O', 'raw', qcow2, raw]);
    try { return execFileSync('blkid', ['-o', 'value', '-s', tag, raw], { encoding: 'utf8', env: SBIN_ENV }).trim(); } finally { rmSync(raw, { force: true }); }
  };

  it('boots from the file volume with formatted ephemeral and swap disks, again after a power cycle, and keeps the volume', async () => {
    writeFileSync(volumeFile, bootSectorDisk(BOOT_LINE));
    driver = createQemuDriver({
      nodeName: 'bfv-test', instancesDir, accel: 'tcg', imageCacheUnusedSeconds: 3600, softShutdownTimeoutSeconds: 1, tapWaitMs: 5000, log: silentLogger(),
    });
    const uuid = randomUUID();
    const volumeId = randomUUID();
    const paths = guestPaths(instancesDir, uuid);
    await driver.spawn({
      guest: spec(uuid, { ephemeralGb: 1, swapMb: 16 }),
      blockDevices: [{ volumeId, bootIndex: 0, device: '/dev/vda', connectionInfo: { driver_volume_type: 'file', data: { path: volumeFile, format: 'raw' } } }],
    });
    await booted(uuid, 1);
    assert.ok(!existsSync(paths.root), 'no image overlay');
    assert.ok(!existsSync(join(instancesDir, '_base')) || execFileSync('ls', [join(instancesDir, '_base')], { encoding: 'utf8' }).trim() === '', 'no image cached');
    const record = JSON.parse(readFileSync(paths.record, 'utf8')) as GuestRecord;
    assert.equal(record.base, null);
    assert.deepEqual(record.volumes.map((v) => [v.volumeId, v.bootIndex, v.path]), [[volumeId, 0, volumeFile]]);
    assert.equal(blkid(paths.ephemeral, 'LABEL'), 'ephemeral0');
    assert.equal(blkid(paths.ephemeral, 'TYPE'), 'ext4');
    assert.equal(blkid(paths.swap, 'TYPE'), 'swap');

    await driver.powerOff({ uuid, timeoutMs: 500 });
    assert.equal(await driver.powerState({ uuid }), 'shutdown');
    await driver.powerOn({ uuid });
    await booted(uuid, 2);
    await assert.rejects(driver.snapshot!({ uuid, upload: async () => undefined }), /volume-backed/);
    await assert.rejects(driver.migrateDiskAndPowerOff({ uuid, destHost: 'bfv-test', rootGb: 1 }), /volume-backed/);
    assert.equal(await driver.powerState({ uuid }), 'running', 'the refusals did not touch the guest');

    await driver.destroy({ uuid });
    assert.ok(!existsSync(paths.dir));
    assert.ok(existsSync(volumeFile), 'the volume belongs to Block Storage and stays');
  });
});
