// Cold migration and resize between two qemu-driver hosts on this machine (two drivers, each with its own instances
// directory and host name): the guest's disks move over the one-time offer, its data survives, the destination's
// root overlay stands on its own image cache, and confirm, revert or a failed pull leave nothing behind. Real QEMU
// under TCG with the self-made boot-sector guest; skips (or fails under STRATUS_REQUIRE_SERVERS=1) without QEMU.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import type { GuestSpec, ImageSource } from '../hypervisor-driver.ts';
import { createQemuDriver } from './qemu-driver.ts';
import type { QemuDriver } from './qemu-driver.ts';
import { guestPaths } from './guest-dir.ts';
import { guestPid } from './guest-process.ts';
import { bootSectorDisk, QEMU_TOOLS, qemuSuiteSkipReason } from './test-guest-disk.ts';

const BOOT_LINE = 'stratus migrating guest booted';
const skip = qemuSuiteSkipReason('qemu migration test', [...QEMU_TOOLS, ['qemu-io', '--version'], ['genisoimage', '--version']], 'qemu-system-x86, qemu-utils, genisoimage');

describe('qemu driver: resize and cold migration to another host', { skip }, () => {
  const dir = skip ? '' : mkdtempSync('/tmp/stratus-qmig-');
  const imageFile = join(dir, 'boot.img');
  const disk = skip ? Buffer.alloc(0) : bootSectorDisk(BOOT_LINE);
  const host = (name: string): { d: QemuDriver; instances: string } => {
    const instances = join(dir, name);
    return {
      instances,
      d: createQemuDriver({
        nodeName: name, hostIp: '127.0.0.1', instancesDir: instances, accel: 'tcg', imageCacheUnusedSeconds: 3600, softShutdownTimeoutSeconds: 1,
        tapWaitMs: 5000, log: silentLogger(),
      }),
    };
  };
  const a = host('host-a');
  const b = host('host-b');
  const imageId = randomUUID();
  const image: ImageSource = {
    id: imageId, diskFormat: 'raw', size: disk.length, checksum: createHash('md5').update(disk).digest('hex'), hashAlgo: null, hashValue: null,
    open: async () => createReadStream(imageFile),
  };
  const spec = (uuid: string, over: Partial<GuestSpec> = {}): GuestSpec => ({
    uuid, name: 'mover', vcpus: 1, memoryMb: 64, rootGb: 1, ephemeralGb: 1, swapMb: 16,
    image: { id: imageId, diskFormat: 'raw', size: disk.length, properties: {} }, nics: [], keyData: null, userData: null, metadata: {}, ...over,
  });
  const booted = async (d: QemuDriver, uuid: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const log = await d.consoleOutput!({ uuid });
      if (log.includes(BOOT_LINE)) return;
      if (Date.now() > deadline) throw new Error(`the guest did not boot; console: ${JSON.stringify(log)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const info = (path: string) => JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', path], { encoding: 'utf8' })) as Record<string, unknown>;
  const hasPattern = (path: string) => execFileSync('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', 'read -P 0x6b 3M 4k', path], { encoding: 'utf8' });
  /** What a host's instances directory holds besides its image cache. */
  const leftovers = (instances: string) => (existsSync(instances) ? readdirSync(instances).filter((n) => n !== '_base') : []);

  before(() => writeFileSync(imageFile, disk));
  after(async () => {
    await Promise.allSettled([a.d.close?.(), b.d.close?.()]);
    for (const instances of [a.instances, b.instances]) {
      for (const name of leftovers(instances)) {
        const uuid = name.replace(/_resize$/, '');
        const pid = await guestPid(guestPaths(instances, uuid), uuid).catch(() => undefined);
        if (pid) process.kill(pid, 'SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves a guest with its data to the other host; revert brings it back, confirm leaves nothing on the source', async () => {
    const uuid = randomUUID();
    const onA = guestPaths(a.instances, uuid);
    const onB = guestPaths(b.instances, uuid);
    await a.d.spawn({ guest: spec(uuid), image, configDrive: { 'openstack/latest/meta_data.json': '{"uuid": "x"}' } });
    await booted(a.d, uuid);
    await a.d.powerOff({ uuid, timeoutMs: 300 });
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x6b 3M 4k', onA.root]);
    await a.d.powerOn({ uuid });

    const offer = await a.d.migrateDiskAndPowerOff({ uuid, destHost: 'host-b', rootGb: 2 });
    assert.ok(offer, 'another host gets an offer');
    assert.deepEqual(offer.files.map((f) => f.name), ['disk', 'disk.eph0', 'disk.config']);
    assert.ok(!existsSync(onA.dir) && existsSync(`${onA.dir}_resize`), 'the source keeps the disks aside, powered off');
    const bigger = spec(uuid, { rootGb: 2, memoryMb: 96 });
    await b.d.finishMigration({ guest: bigger, powerOn: true, offer, image });
    await booted(b.d, uuid);
    assert.equal(await b.d.powerState({ uuid }), 'running');
    const root = info(onB.root);
    assert.equal(root['virtual-size'], 2 * 1024 ** 3, 'the root disk grew to the new flavor');
    assert.equal(root['full-backing-filename'], join(b.instances, '_base', imageId), 'the overlay stands on the destination\'s own cache');
    assert.match(hasPattern(onB.root), /read 4096\/4096 bytes/, 'the guest kept its data');
    assert.ok(existsSync(onB.ephemeral) && existsSync(onB.swap) && existsSync(onB.configDrive));

    // Revert: the destination's guest goes, the source's comes back; the offer is closed.
    await b.d.destroy({ uuid });
    assert.deepEqual(leftovers(b.instances), []);
    await a.d.finishRevertMigration({ guest: spec(uuid), powerOn: true });
    await booted(a.d, uuid);
    assert.equal(await a.d.powerState({ uuid }), 'running');
    assert.equal(info(onA.root)['virtual-size'], 1024 ** 3);
    assert.ok(!existsSync(`${onA.dir}_resize`));
    await assert.rejects(b.d.finishMigration({ guest: bigger, powerOn: false, offer, image }), /ECONNREFUSED|HTTP 403/, 'a used offer opens nothing');
    assert.deepEqual(leftovers(b.instances), []);

    // Cold migration (same flavor), confirmed: the guest runs on the destination only.
    const again = await a.d.migrateDiskAndPowerOff({ uuid, destHost: 'host-b', rootGb: 1 });
    await b.d.finishMigration({ guest: spec(uuid), powerOn: true, offer: again!, image });
    await booted(b.d, uuid);
    await a.d.destroy({ uuid });
    await a.d.confirmMigration({ uuid });
    assert.deepEqual(leftovers(a.instances), [], 'nothing of the guest stays on the source');
    assert.deepEqual(await a.d.listGuests(), []);
    assert.deepEqual(await b.d.listGuests(), [uuid]);
    assert.match(hasPattern(onB.root), /read 4096\/4096 bytes/);
    await b.d.destroy({ uuid });
  });

  it('a pull that fails leaves nothing on the destination, and the source can still revert', async () => {
    const uuid = randomUUID();
    await a.d.spawn({ guest: spec(uuid, { ephemeralGb: 0, swapMb: 0 }), image });
    const offer = await a.d.migrateDiskAndPowerOff({ uuid, destHost: 'host-b', rootGb: 1 });
    const forged = { ...offer!, files: offer!.files.map((f) => ({ ...f, sha256: 'f'.repeat(64) })) };
    await assert.rejects(b.d.finishMigration({ guest: spec(uuid, { ephemeralGb: 0, swapMb: 0 }), powerOn: true, offer: forged, image }), /SHA-256/);
    assert.deepEqual(leftovers(b.instances), [], 'no half-pulled guest');
    await assert.rejects(b.d.finishMigration({ guest: spec(uuid), powerOn: true, offer: offer!, image: undefined }), /image is needed/);
    await a.d.finishRevertMigration({ guest: spec(uuid, { ephemeralGb: 0, swapMb: 0 }), powerOn: false });
    assert.equal(await a.d.powerState({ uuid }), 'shutdown');
    await a.d.destroy({ uuid });
    assert.deepEqual(leftovers(a.instances), []);
  });

  it('refuses to move a guest with volumes before touching it', async () => {
    const uuid = randomUUID();
    const vol = join(dir, 'vol.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', vol, '16M']);
    await a.d.spawn({ guest: spec(uuid, { ephemeralGb: 0, swapMb: 0 }), image });
    await a.d.attachVolume!({ uuid, volumeId: randomUUID(), device: '/dev/vdb', connectionInfo: { driver_volume_type: 'file', data: { path: vol, format: 'qcow2' } } });
    await assert.rejects(a.d.migrateDiskAndPowerOff({ uuid, destHost: 'host-b', rootGb: 1 }), /volumes attached/);
    assert.equal(await a.d.powerState({ uuid }), 'running');
    await a.d.destroy({ uuid });
  });
});
