// Rescue and diagnostics of the qemu driver with a real qemu-system-x86_64 (TCG) and two self-made boot sectors, one
// for the server's image and one for the rescue image, each printing its own line on COM1: the console shows which
// disk booted, QMP shows which disks are attached. Skips (or with STRATUS_REQUIRE_SERVERS=1 fails) without QEMU.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import type { GuestSpec, ImageSource, RescueImage } from '../hypervisor-driver.ts';
import { createQemuDriver } from './qemu-driver.ts';
import type { QemuDriver } from './qemu-driver.ts';
import { guestPaths, readGuestRecord } from './guest-dir.ts';
import { guestPid } from './guest-process.ts';
import { connectQmp } from './qmp-client.ts';
import { bootSectorDisk, QEMU_TOOLS, qemuSuiteSkipReason } from './test-guest-disk.ts';

const OWN_LINE = 'own disk booted';
const RESCUE_LINE = 'rescue disk booted';



const skip = qemuSuiteSkipReason('qemu rescue test', [...QEMU_TOOLS, ['genisoimage', '--version']], 'qemu-system-x86, qemu-utils, genisoimage');

describe('qemu driver rescue and diagnostics with a real QEMU', { skip }, () => {
  const dir = skip ? '' : mkdtempSync('/tmp/stratus-qemu-rescue-');
  const instancesDir = join(dir, 'instances');
  const drivers: QemuDriver[] = [];
  const newDriver = () => {
    const d = createQemuDriver({
      nodeName: 'qemu-test', instancesDir, accel: 'tcg', imageCacheUnusedSeconds: 3600, softShutdownTimeoutSeconds: 1, tapWaitMs: 5000, log: silentLogger(),
    });
    drivers.push(d);
    return d;
  };
  const image = (line: string, properties: Record<string, unknown> = {}): RescueImage => {
    const disk = bootSectorDisk(line);
    const file = join(dir, `${randomUUID()}.img`);
    writeFileSync(file, disk);
    return {
      id: randomUUID(), diskFormat: 'raw', size: disk.length, checksum: createHash('md5').update(disk).digest('hex'), hashAlgo: null, hashValue: null,
      open: async () => createReadStream(file), properties,
    };
  };
  const spec = (uuid: string, own: ImageSource): GuestSpec => ({
    uuid, name: 'tiny', vcpus: 1, memoryMb: 64, rootGb: 1, ephemeralGb: 1, swapMb: 16,
    image: { id: own.id, diskFormat: 'raw', size: own.size, properties: {} }, nics: [], keyData: null, userData: null, metadata: {},
  });
  const qmp = async <T>(uuid: string, command: string, args?: Record<string, unknown>): Promise<T> => {
    const c = await connectQmp(guestPaths(instancesDir, uuid).qmp);
    try { return await c.execute<T>(command, args); } finally { c.close(); }
  };
  /** The guest's disks as QEMU has them: device id → file. */
  const disks = async (uuid: string) => Object.fromEntries((await qmp<{ qdev: string; inserted?: { file: string } }[]>(uuid, 'query-block'))
    .filter((b) => b.inserted).map((b) => [/^\/machine\/peripheral\/([^/]+)/.exec(b.qdev)?.[1] ?? b.qdev, b.inserted!.file]));
  const bootIndex = (uuid: string, id: string) => qmp<number>(uuid, 'qom-get', { path: `/machine/peripheral/${id}`, property: 'bootindex' });
  /** Waits until the console log holds `line` `times` times. */
  const printed = async (d: QemuDriver, uuid: string, line: string, times = 1) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const log = await d.consoleOutput!({ uuid });
      if (log.split(line).length - 1 >= times) return log;
      if (Date.now() > deadline) throw new Error(`the guest did not print '${line}' ${times} time(s); console: ${JSON.stringify(log)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  after(async () => {
    await Promise.allSettled(drivers.map((d) => d.close?.()));
    for (const uuid of existsSync(instancesDir) ? readdirSync(instancesDir) : []) {
      if (!/^[0-9a-f-]{36}$/.test(uuid)) continue;
      const pid = await guestPid(guestPaths(instancesDir, uuid), uuid).catch(() => undefined);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  let own: RescueImage;
  let rescueImage: RescueImage;
  before(() => {
    own = image(OWN_LINE);
    rescueImage = image(RESCUE_LINE);
  });

  it('boots the rescue disk first with the own disk second, keeps it over a restart, and unrescues to the own disk', async () => {
    const d = newDriver();
    const uuid = randomUUID();
    const paths = guestPaths(instancesDir, uuid);
    await d.spawn({ guest: spec(uuid, own), image: own, configDrive: { 'openstack/latest/meta_data.json': '{}' } });
    await printed(d, uuid, OWN_LINE);

    await d.rescue!({ uuid, image: rescueImage, rescuePassword: 'pw', configDrive: { 'openstack/latest/meta_data.json': '{"admin_pass":"pw"}' } });
    await printed(d, uuid, RESCUE_LINE);
    assert.equal(await d.powerState({ uuid }), 'running');
    // Nova's rescue: the rescue disk boots, the server's disk beside it, the rescue config drive instead of its own.
    assert.deepEqual(await disks(uuid), { rescue: paths.rescue, root: paths.root, config: paths.rescueConfigDrive });
    assert.equal(await bootIndex(uuid, 'rescue'), 0);
    assert.equal(await bootIndex(uuid, 'root'), -1);
    assert.equal(execFileSync('blkid', ['-o', 'value', '-s', 'LABEL', paths.rescueConfigDrive], { encoding: 'utf8' }).trim(), 'config-2');
    assert.ok(existsSync(join(instancesDir, '_base', rescueImage.id)), 'the rescue image comes through the image cache');
    const longAgo = new Date(Date.now() - 86_400_000);
    utimesSync(join(instancesDir, '_base', rescueImage.id), longAgo, longAgo);
    assert.ok(!(await d.pruneImageCache()).includes(rescueImage.id), 'a rescue image in use is not pruned');
    assert.ok(existsSync(join(instancesDir, '_base', rescueImage.id)));

    // An agent restart: the new driver drives the rescue guest, and starting it again boots the rescue disk again.
    await d.close!();
    const d2 = newDriver();
    assert.equal(await d2.powerState({ uuid }), 'running');
    await d2.powerOff({ uuid, timeoutMs: 300 });
    await d2.powerOn({ uuid });
    await printed(d2, uuid, RESCUE_LINE, 2);
    assert.ok('rescue' in await disks(uuid));

    await d2.unrescue!({ uuid });
    await printed(d2, uuid, OWN_LINE, 2);
    assert.deepEqual(await disks(uuid), { root: paths.root, eph0: paths.ephemeral, swap: paths.swap, config: paths.configDrive });
    assert.equal(await bootIndex(uuid, 'root'), 0);
    assert.equal(existsSync(paths.rescue) || existsSync(paths.rescueConfigDrive), false, 'the rescue files are gone');
    assert.equal((await readGuestRecord(paths))!.rescue, undefined);
    await d2.unrescue!({ uuid });
    assert.equal(await d2.powerState({ uuid }), 'running', 'unrescue is idempotent');

    // A rescued guest deleted takes its rescue disk with it.
    await d2.rescue!({ uuid, image: rescueImage, rescuePassword: 'pw' });
    await printed(d2, uuid, RESCUE_LINE, 3);
    await d2.destroy({ uuid });
    assert.equal(existsSync(paths.dir), false);
  });

  it('keeps every device in a stable device rescue, and refuses a rescue bus it cannot attach before touching the guest', async () => {
    const d = newDriver();
    const uuid = randomUUID();
    const paths = guestPaths(instancesDir, uuid);
    await d.spawn({ guest: spec(uuid, own), image: own });
    await printed(d, uuid, OWN_LINE);
    const cdrom = image(RESCUE_LINE, { hw_rescue_device: 'cdrom', hw_rescue_bus: 'ide' });
    await assert.rejects(d.rescue!({ uuid, image: cdrom, rescuePassword: 'pw' }), /virtio disk only/);
    assert.equal(await d.powerState({ uuid }), 'running', 'a refused rescue leaves the guest alone');

    await d.rescue!({ uuid, image: image(RESCUE_LINE, { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' }), rescuePassword: 'pw' });
    await printed(d, uuid, RESCUE_LINE);
    assert.deepEqual(Object.keys(await disks(uuid)), ['root', 'eph0', 'swap', 'rescue']);
    assert.equal(await bootIndex(uuid, 'rescue'), 0);
    await d.unrescue!({ uuid });
    await printed(d, uuid, OWN_LINE, 2);
    assert.equal(existsSync(paths.rescue), false);
    await d.destroy({ uuid });
  });

  it('leaves no rescue behind when the rescue image cannot be used, and the guest boots its own disk again', async () => {
    const d = newDriver();
    const uuid = randomUUID();
    const paths = guestPaths(instancesDir, uuid);
    await d.spawn({ guest: spec(uuid, own), image: own });
    await printed(d, uuid, OWN_LINE);
    await assert.rejects(d.rescue!({ uuid, image: { ...image(RESCUE_LINE), checksum: '0'.repeat(32) }, rescuePassword: 'pw' }), /does not match its checksum/);
    assert.equal(existsSync(paths.rescue), false);
    assert.equal((await readGuestRecord(paths))!.rescue, undefined);
    await d.unrescue!({ uuid });
    await printed(d, uuid, OWN_LINE, 2);
    await d.destroy({ uuid });
  });

  it('reports a running guest\'s diagnostics: CPU time, disk reads, memory and uptime; a stopped one is a Conflict', async () => {
    const d = newDriver();
    const uuid = randomUUID();
    await d.spawn({ guest: spec(uuid, own), image: own });
    await printed(d, uuid, OWN_LINE);
    const diag = await d.diagnostics!({ uuid });
    assert.equal(diag.state, 'running');
    assert.deepEqual([diag.hypervisor, diag.hypervisorOs], ['qemu', 'linux']);
    assert.equal(diag.cpus.length, 1);
    assert.ok(diag.cpus[0].timeNs! > 0, `CPU time ${diag.cpus[0].timeNs}`);
    assert.deepEqual(diag.disks.map((k) => k.id), ['root', 'eph0', 'swap']);
    const root = diag.disks[0];
    assert.ok(root.readBytes! >= 512 && root.readRequests! > 0, `the BIOS read the boot sector: ${JSON.stringify(root)}`);
    assert.equal(root.errorsCount, 0);
    assert.equal(diag.memory.maximumKib, 64 * 1024);
    assert.ok(diag.memory.usedKib! > 0);
    assert.ok(diag.uptime !== null && diag.uptime >= 0 && diag.uptime < 600);
    assert.deepEqual(diag.nics, []);
    await d.powerOff({ uuid, timeoutMs: 300 });
    await assert.rejects(d.diagnostics!({ uuid }), /not running/);
    await d.destroy({ uuid });
  });
});
