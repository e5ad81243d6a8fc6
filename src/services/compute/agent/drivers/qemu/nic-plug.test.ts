// NIC hot-plug with a real qemu-system-x86_64 (TCG) and taps made by the test (root): the guest gets the device with
// the port's MAC, keeps it across a power cycle (when QEMU renumbers it), loses it on detach (the guest ejects it, as
// an OS's ACPI would), a stopped guest gets it at its next start, and a plug that cannot happen leaves nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import type { GuestSpec, ImageSource } from '../hypervisor-driver.ts';
import { createQemuDriver } from './qemu-driver.ts';
import type { QemuDriver } from './qemu-driver.ts';
import { guestPaths, readGuestRecord } from './guest-dir.ts';
import { guestPid } from './guest-process.ts';
import { connectQmp } from './qmp-client.ts';
import { bootSectorDisk, QEMU_TOOLS, qemuSuiteSkipReason } from './test-guest-disk.ts';



const skip = qemuSuiteSkipReason('NIC hot-plug test', QEMU_TOOLS, 'qemu-system-x86, qemu-utils', { root: 'NIC hot-plug needs root to create tap devices' });

describe('qemu NIC hot-plug with a real QEMU', { skip }, () => {
  const dir = skip ? '' : mkdtempSync('/tmp/stratus-nic-');
  const instancesDir = join(dir, 'instances');
  const suffix = randomBytes(3).toString('hex');
  const taps = { boot: `stqb${suffix}`, hot: `stqh${suffix}` };
  const disk = skip ? Buffer.alloc(0) : bootSectorDisk('nic test guest booted', { ejectOnUnplug: true });
  let d: QemuDriver;
  const image: ImageSource = {
    id: randomUUID(), diskFormat: 'raw', size: disk.length, checksum: createHash('md5').update(disk).digest('hex'),
    hashAlgo: 'sha512', hashValue: createHash('sha512').update(disk).digest('hex'), open: async () => createReadStream(join(dir, 'boot.img')),
  };
  const nic = (tap: string, mac: string): GuestSpec['nics'][number] => ({ portId: randomUUID(), macAddress: mac, vifType: 'bridge', vifDetails: { tap_name: tap } });
  const qmp = async <T>(uuid: string, command: string, args?: Record<string, unknown>): Promise<T> => {
    const c = await connectQmp(guestPaths(instancesDir, uuid).qmp);
    try { return await c.execute<T>(command, args); } finally { c.close(); }
  };
  /** The MACs of the guest's NICs, as QEMU reports them. */
  const macs = async (uuid: string) => (await qmp<{ 'main-mac': string }[]>(uuid, 'query-rx-filter')).map((f) => f['main-mac']).sort();
  /** The network backends QEMU holds (HMP `info network` lists each netdev by id). */
  const netdevs = async (uuid: string) => qmp<string>(uuid, 'human-monitor-command', { 'command-line': 'info network' });
  const recorded = async (uuid: string) => (await readGuestRecord(guestPaths(instancesDir, uuid)))!.spec.nics.map((n) => n.macAddress);

  before(() => {
    writeFileSync(join(dir, 'boot.img'), disk);
    for (const tap of Object.values(taps)) execFileSync('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    d = createQemuDriver({
      nodeName: 'nic-test', instancesDir, accel: 'tcg', imageCacheUnusedSeconds: 3600, softShutdownTimeoutSeconds: 1,
      tapWaitMs: 1000, detachTimeoutMs: 15_000, log: silentLogger(),
    });
  });
  after(async () => {
    await d?.close?.();
    for (const uuid of existsSync(instancesDir) ? readdirSync(instancesDir) : []) {
      if (!/^[0-9a-f-]{36}$/.test(uuid)) continue;
      const pid = await guestPid(guestPaths(instancesDir, uuid), uuid).catch(() => undefined);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    for (const tap of Object.values(taps)) { try { execFileSync('ip', ['link', 'del', tap]); } catch { /* already gone */ } }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hot-plugs and unplugs a NIC, keeps it across a power cycle and plugs it into a stopped guest at its start', async () => {
    const uuid = randomUUID();
    const boot = nic(taps.boot, 'fa:16:3e:00:00:01');
    await d.spawn({
      guest: { uuid, name: 'nic', vcpus: 1, memoryMb: 64, rootGb: 1, ephemeralGb: 0, swapMb: 0, image: { id: image.id, diskFormat: 'raw', size: disk.length, properties: {} },
        nics: [boot], keyData: null, userData: null, metadata: {} },
      image,
    });
    const hot = nic(taps.hot, 'FA:16:3E:00:00:02');
    await d.attachInterface!({ uuid, nic: hot });
    assert.deepEqual(await macs(uuid), ['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02']);
    assert.match(await netdevs(uuid), new RegExp(`net-${hot.portId}`));
    assert.deepEqual(await recorded(uuid), ['fa:16:3e:00:00:01', 'FA:16:3E:00:00:02']);
    await d.attachInterface!({ uuid, nic: hot });
    assert.equal((await macs(uuid)).length, 2, 'a second attach of the same port is a no-op');

    await d.detachInterface!({ uuid, portId: hot.portId });
    assert.deepEqual(await macs(uuid), ['fa:16:3e:00:00:01']);
    assert.doesNotMatch(await netdevs(uuid), new RegExp(`net-${hot.portId}`), 'its backend is gone too');
    assert.deepEqual(await recorded(uuid), ['fa:16:3e:00:00:01']);
    await d.detachInterface!({ uuid, portId: hot.portId });

    // Plugged, then the guest starts again: QEMU numbers it nic1 now, and detach still finds it by its MAC.
    await d.attachInterface!({ uuid, nic: hot });
    await d.powerOff({ uuid, timeoutMs: 300 });
    await d.powerOn({ uuid });
    assert.deepEqual(await macs(uuid), ['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02']);
    await d.detachInterface!({ uuid, portId: hot.portId });
    assert.deepEqual(await macs(uuid), ['fa:16:3e:00:00:01']);

    // A stopped guest: recorded now, plugged at the next start.
    await d.powerOff({ uuid, timeoutMs: 300 });
    await d.attachInterface!({ uuid, nic: hot });
    assert.equal((await recorded(uuid)).length, 2);
    await d.powerOn({ uuid });
    assert.deepEqual(await macs(uuid), ['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02']);

    // No tap for the port (the network agent never wired it), or a port not bound here: refused, nothing plugged.
    const noTap = nic(`stqx${suffix}`, 'fa:16:3e:00:00:03');
    await assert.rejects(d.attachInterface!({ uuid, nic: noTap }), /did not appear within 1 s/);
    await assert.rejects(d.attachInterface!({ uuid, nic: { ...nic(taps.hot, 'fa:16:3e:00:00:04'), vifType: 'unbound' } }), (err: Error & { status?: number }) => err.status === 400);
    assert.equal((await macs(uuid)).length, 2);
    assert.equal((await recorded(uuid)).length, 2);

    await d.destroy({ uuid });
    assert.equal(existsSync(guestPaths(instancesDir, uuid).dir), false);
  });
});
