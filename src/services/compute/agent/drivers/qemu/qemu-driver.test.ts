// The qemu driver with a real qemu-system-x86_64 (TCG) and a tiny self-made guest: a BIOS boot sector that prints a
// line on COM1 and then services ACPI PCI hot-unplug requests, which is all a guest needs to show that spawn, power
// actions, suspend/resume, volume hot-plug and resize, restart re-attachment and destroy really happen. Skips (or with
// STRATUS_REQUIRE_SERVERS=1 fails) where QEMU is not installed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import type { GuestSpec, ImageSource } from '../hypervisor-driver.ts';
import { createQemuDriver } from './qemu-driver.ts';
import type { QemuDriver } from './qemu-driver.ts';
import { bootsUnder } from './accel-probe.ts';
import { guestPaths } from './guest-dir.ts';
import { guestPid } from './guest-process.ts';
import { connectQmp } from './qmp-client.ts';
import { bootSectorDisk, QEMU_TOOLS, qemuSuiteSkipReason } from './test-guest-disk.ts';
import { volumeNodeName } from './qemu-command.ts';

const BOOT_LINE = 'stratus test guest booted';



const skip = qemuSuiteSkipReason('qemu driver test', [...QEMU_TOOLS, ['genisoimage', '--version']], 'qemu-system-x86, qemu-utils, genisoimage');

describe('qemu driver with a real QEMU', { skip }, () => {
  const dir = skip ? '' : mkdtempSync('/tmp/stratus-qemu-');
  const instancesDir = join(dir, 'instances');
  const imageFile = join(dir, 'boot.img');
  const tap = `stqt${randomBytes(3).toString('hex')}`;
  const withTap = process.getuid?.() === 0;
  const drivers: QemuDriver[] = [];
  const newDriver = () => {
    const d = createQemuDriver({
      nodeName: 'qemu-test', instancesDir, accel: 'tcg', imageCacheUnusedSeconds: 3600, softShutdownTimeoutSeconds: 1,
      tapWaitMs: 5000, detachTimeoutMs: 15_000, log: silentLogger(),
    });
    drivers.push(d);
    return d;
  };
  const disk = skip ? Buffer.alloc(0) : bootSectorDisk(BOOT_LINE, { ejectOnUnplug: true });
  const source = (over: Partial<ImageSource> = {}): ImageSource => ({
    id: randomUUID(), diskFormat: 'raw', size: disk.length,
    checksum: createHash('md5').update(disk).digest('hex'), hashAlgo: 'sha512', hashValue: createHash('sha512').update(disk).digest('hex'),
    open: async () => createReadStream(imageFile), ...over,
  });
  const spec = (uuid: string, image: ImageSource): GuestSpec => ({
    uuid, name: 'tiny', vcpus: 1, memoryMb: 64, rootGb: 1, ephemeralGb: 1, swapMb: 16,
    image: { id: image.id, diskFormat: 'raw', size: disk.length, properties: {} },
    nics: withTap ? [{ portId: randomUUID(), macAddress: 'fa:16:3e:12:34:56', vifType: 'bridge', vifDetails: { tap_name: tap } }] : [],
    keyData: null, userData: null, metadata: {},
  });
  const qmp = async <T>(uuid: string, command: string, args?: Record<string, unknown>): Promise<T> => {
    const c = await connectQmp(guestPaths(instancesDir, uuid).qmp);
    try { return await c.execute<T>(command, args); } finally { c.close(); }
  };
  /** Waits until the console log holds BOOT_LINE `times` times (the guest has no event to await but its output). */
  const booted = async (d: QemuDriver, uuid: string, times = 1) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const log = await d.consoleOutput!({ uuid });
      if (log.split(BOOT_LINE).length - 1 >= times) return log;
      if (Date.now() > deadline) throw new Error(`the guest did not print its boot line ${times} time(s); console: ${JSON.stringify(log)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(() => {
    writeFileSync(imageFile, disk);
    if (withTap) execFileSync('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  });
  after(async () => {
    await Promise.allSettled(drivers.map((d) => d.close?.()));
    // Whatever a failed assertion left running goes too.
    for (const uuid of existsSync(instancesDir) ? readdirSync(instancesDir) : []) {
      if (!/^[0-9a-f-]{36}$/.test(uuid)) continue;
      const pid = await guestPid(guestPaths(instancesDir, uuid), uuid).catch(() => undefined);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    if (withTap) { try { execFileSync('ip', ['link', 'del', tap]); } catch { /* already gone */ } }
    rmSync(dir, { recursive: true, force: true });
  });

  it('probes an accelerator by booting a guest under it', async () => {
    assert.equal(await bootsUnder('tcg', { binary: 'qemu-system-x86_64', timeoutMs: 20_000 }), true);
  });

  it('runs a guest through its whole life: power, suspend, volumes, a kill from outside, an agent restart, destroy', async () => {
    const d = newDriver();
    const image = source();
    const uuid = randomUUID();
    const paths = guestPaths(instancesDir, uuid);
    await d.spawn({ guest: spec(uuid, image), image, configDrive: { 'openstack/latest/meta_data.json': JSON.stringify({ uuid }) } });
    await booted(d, uuid);
    assert.equal(await d.powerState({ uuid }), 'running');
    assert.deepEqual(await d.listGuests(), [uuid]);
    assert.ok(existsSync(join(instancesDir, '_base', image.id)), 'the image is in the cache');
    assert.equal(execFileSync('blkid', ['-o', 'value', '-s', 'LABEL', paths.configDrive], { encoding: 'utf8' }).trim(), 'config-2');
    const cap = await d.capacity();
    assert.equal(cap.hypervisorType, 'QEMU');
    assert.ok(cap.hypervisorVersion >= 7_000_000 && cap.vcpus > 0 && cap.memoryMb > 0 && cap.localGb > 0);
    assert.equal(await d.consoleSocket!({ uuid, kind: 'vnc' }), paths.vnc);
    if (withTap) {
      const filters = await qmp<{ name: string; 'main-mac': string }[]>(uuid, 'query-rx-filter');
      assert.deepEqual(filters.map((f) => f['main-mac']), ['fa:16:3e:12:34:56']);
    }

    await d.pause!({ uuid });
    assert.equal(await d.powerState({ uuid }), 'paused');
    await d.unpause!({ uuid });
    assert.equal(await d.powerState({ uuid }), 'running');

    // A snapshot of the running guest is one standalone qcow2 holding the boot sector; the guest runs on.
    let uploaded: { format: string; bytes: Buffer } | undefined;
    await d.snapshot!({ uuid, upload: async (data, format) => {
      const chunks: Buffer[] = [];
      for await (const c of data) chunks.push(c as Buffer);
      uploaded = { format: format.diskFormat, bytes: Buffer.concat(chunks) };
    } });
    assert.equal(uploaded?.format, 'qcow2');
    assert.equal(uploaded.bytes.subarray(0, 4).toString('latin1'), 'QFI\xfb');
    const snapFile = join(dir, 'snap.qcow2');
    writeFileSync(snapFile, uploaded.bytes);
    const snapInfo = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', snapFile], { encoding: 'utf8' })) as Record<string, unknown>;
    assert.equal(snapInfo['backing-filename'], undefined, 'the snapshot stands alone');
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', snapFile, `${snapFile}.raw`]);
    assert.deepEqual(readFileSync(`${snapFile}.raw`).subarray(510, 512), Buffer.from([0x55, 0xaa]), 'the copy holds the boot sector');
    assert.equal(await d.powerState({ uuid }), 'running');
    assert.equal(existsSync(join(paths.dir, 'snapshot.qcow2.part')), false, 'the copy is removed after the upload');

    const pid = await guestPid(paths, uuid);
    await d.suspend!({ uuid });
    assert.equal(await d.powerState({ uuid }), 'suspended');
    assert.equal(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), false, 'no QEMU runs while suspended');
    await d.resume!({ uuid });
    assert.equal(await d.powerState({ uuid }), 'running');
    assert.equal(existsSync(paths.memoryState), false, 'the saved state is gone once resumed');

    // The boot sector ignores ACPI: the short timeout's fallback stops it.
    await d.powerOff({ uuid, timeoutMs: 300 });
    assert.equal(await d.powerState({ uuid }), 'shutdown');
    await d.powerOff({ uuid, timeoutMs: 300 });
    await d.powerOn({ uuid });
    await booted(d, uuid, 2);
    assert.equal(await d.powerState({ uuid }), 'running');
    await d.reboot({ uuid, hard: true });
    await booted(d, uuid, 3);
    await d.reboot({ uuid, hard: false });
    await booted(d, uuid, 4);

    const volumeId = randomUUID();
    const volume = join(dir, `volume-${volumeId}`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', volume, '16M']);
    await d.attachVolume!({ uuid, volumeId, device: '/dev/vdd', connectionInfo: { driver_volume_type: 'file', data: { path: volume, format: 'qcow2' } } });
    const nodes = async () => (await qmp<{ inserted?: { 'node-name': string; file: string } }[]>(uuid, 'query-block')).map((b) => b.inserted?.['node-name']);
    assert.ok((await nodes()).includes(volumeNodeName(volumeId)), 'the volume is plugged');
    // Block Storage grew it (volume-extended): QEMU holds the image, so its block_resize grows the file the guest sees.
    assert.throws(() => execFileSync('qemu-img', ['resize', '-q', '-f', 'qcow2', volume, '32M'], { stdio: 'pipe' }), /lock/, 'qemu-img cannot while QEMU holds it');
    await d.extendVolume!({ uuid, volumeId, sizeBytes: 32 * 1024 * 1024 });
    const sizes = (await qmp<{ inserted?: { 'node-name': string; image: { 'virtual-size': number } } }[]>(uuid, 'query-block'))
      .filter((b) => b.inserted?.['node-name'] === volumeNodeName(volumeId)).map((b) => b.inserted!.image['virtual-size']);
    assert.deepEqual(sizes, [32 * 1024 * 1024], 'the guest\'s disk is 32 MiB');
    assert.match(execFileSync('qemu-img', ['info', '-U', '-f', 'qcow2', volume]).toString(), /virtual size: 32 MiB/);
    await d.detachVolume!({ uuid, volumeId });
    assert.ok(!(await nodes()).includes(volumeNodeName(volumeId)), 'the volume is unplugged');
    await d.detachVolume!({ uuid, volumeId });

    process.kill((await guestPid(paths, uuid))!, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (await guestPid(paths, uuid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await d.powerState({ uuid }), 'shutdown', 'a guest killed from outside is shut down');

    // The agent restarts: a new driver over the same directory finds the guest and drives it.
    await d.powerOn({ uuid });
    await d.close!();
    const d2 = newDriver();
    assert.deepEqual(await d2.listGuests(), [uuid]);
    assert.equal(await d2.powerState({ uuid }), 'running');
    await d2.pause!({ uuid });
    assert.equal(await d2.powerState({ uuid }), 'paused');

    const last = await guestPid(paths, uuid);
    await d2.destroy({ uuid });
    assert.equal(existsSync(paths.dir), false, 'nothing is left of the guest');
    assert.equal(existsSync(`/proc/${last}/cmdline`) && readFileSync(`/proc/${last}/cmdline`, 'utf8').includes(uuid), false, 'its QEMU is gone');
    await d2.destroy({ uuid });
    assert.deepEqual(await d2.listGuests(), []);
  });

  it('resizes on its own host keeping the guest\'s disk, and confirms or reverts', async () => {
    const d = newDriver();
    const image = source();
    const uuid = randomUUID();
    const paths = guestPaths(instancesDir, uuid);
    const kept = `${paths.dir}_resize`;
    const old = spec(uuid, image);
    await d.spawn({ guest: old, image });
    await booted(d, uuid);
    const virtualSize = () => Number((JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', paths.root], { encoding: 'utf8' })) as Record<string, unknown>)['virtual-size']);
    const hasPattern = () => execFileSync('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', 'read -P 0x5a 2M 4k', paths.root], { encoding: 'utf8' });

    await assert.rejects(d.migrateDiskAndPowerOff({ uuid, destHost: 'qemu-test', rootGb: 0.5 }), /resize disk down/);
    assert.equal(await d.powerState({ uuid }), 'running', 'a refused resize leaves the guest alone');
    // What the guest wrote to its disk must survive the resize: a pattern in its overlay.
    await d.powerOff({ uuid, timeoutMs: 300 });
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 2M 4k', paths.root]);
    await d.powerOn({ uuid });

    await d.migrateDiskAndPowerOff({ uuid, destHost: 'qemu-test', rootGb: 2 });
    assert.ok(existsSync(kept) && !existsSync(paths.dir), 'the disks wait aside');
    assert.deepEqual(await d.listGuests(), [], 'a kept directory is no guest');
    const bigger = { ...old, rootGb: 2, memoryMb: 96 };
    await d.finishMigration({ guest: bigger, powerOn: true });
    await booted(d, uuid);
    assert.equal(await d.powerState({ uuid }), 'running');
    assert.equal(virtualSize(), 2 * 1024 ** 3, 'the root disk grew to the new flavor');
    assert.match(hasPattern(), /read 4096\/4096 bytes/, 'the guest kept its data');

    // Revert: the destination's guest goes, the kept one comes back as it was.
    await d.destroy({ uuid });
    await d.finishRevertMigration({ guest: old, powerOn: false });
    assert.equal(await d.powerState({ uuid }), 'shutdown', 'a stopped server stays stopped');
    assert.equal(virtualSize(), 1024 ** 3);
    assert.match(hasPattern(), /read 4096\/4096 bytes/);
    assert.ok(!existsSync(kept));

    // Confirm: the kept disks go, the resized guest stays.
    await d.migrateDiskAndPowerOff({ uuid, destHost: 'qemu-test', rootGb: 2 });
    await d.finishMigration({ guest: bigger, powerOn: false });
    await d.confirmMigration({ uuid });
    assert.ok(!existsSync(kept) && existsSync(paths.dir));
    assert.equal(virtualSize(), 2 * 1024 ** 3);
    await d.destroy({ uuid });
  });

  it('fails a spawn whose image does not match its checksum, leaving nothing behind', async () => {
    const d = newDriver();
    const image = source({ checksum: '0'.repeat(32) });
    const uuid = randomUUID();
    await assert.rejects(d.spawn({ guest: spec(uuid, image), image }), /does not match its checksum/);
    assert.equal(existsSync(guestPaths(instancesDir, uuid).dir), false);
    assert.deepEqual(readdirSync(join(instancesDir, '_base')).filter((n) => n.startsWith(image.id)), []);
    assert.deepEqual(await d.listGuests(), []);
  });
});
