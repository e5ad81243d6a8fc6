// The file driver against the real qemu-img: volumes, extend, snapshots and clones are independent qcow2/raw files,
// deleting a snapshot never harms its volume, deletes are idempotent, and no partial file survives a failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { createFileDriver } from './file-driver.ts';

const info = (path: string, fmt: string) => JSON.parse(execFileSync('qemu-img', ['info', '-f', fmt, '--output=json', path], { encoding: 'utf8' })) as { 'virtual-size': number; format: string };
const GiB = 1024 ** 3;
let skip: string | false = false;
try { execFileSync('qemu-img', ['--version']); } catch { skip = 'qemu-img is not installed (apt-get install qemu-utils)'; }

describe('file volume driver', { skip }, () => {
  let dir: string;
  let backupsDir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'file-driver-')); backupsDir = mkdtempSync(join(tmpdir(), 'file-driver-backups-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); rmSync(backupsDir, { recursive: true, force: true }); });

  it('creates, extends, snapshots, clones and deletes qcow2 and raw volumes as independent files', async () => {
    const d = createFileDriver({ dir, backupsDir, maxOverSubscriptionRatio: 20, log: silentLogger() });
    await d.start();
    const vol = { id: randomUUID(), sizeGb: 1, format: 'qcow2', location: null };
    const path = await d.createVolume(vol);
    assert.equal(path, join(dir, `volume-${vol.id}`));
    assert.deepEqual([info(path, 'qcow2').format, info(path, 'qcow2')['virtual-size']], ['qcow2', GiB]);
    // Data written into the volume must be in the snapshot and in volumes made from it.
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 64k', path]);
    await d.extendVolume({ ...vol, sizeGb: 2, location: path });
    assert.equal(info(path, 'qcow2')['virtual-size'], 2 * GiB);
    await d.extendVolume({ ...vol, sizeGb: 2, location: path });

    const snap = { id: randomUUID(), volumeId: vol.id, location: null };
    const snapPath = await d.createSnapshot(snap, { ...vol, sizeGb: 2, location: path });
    const fromSnap = { id: randomUUID(), sizeGb: 3, format: 'raw', location: null };
    const fromSnapPath = await d.createVolumeFromSnapshot(fromSnap, { ...snap, location: snapPath });
    assert.equal(info(fromSnapPath, 'raw')['virtual-size'], 3 * GiB);
    assert.match(execFileSync('qemu-io', ['-f', 'raw', '-c', 'read -P 0x5a 0 64k', fromSnapPath], { encoding: 'utf8' }), /read 65536/);

    await d.deleteSnapshot({ ...snap, location: snapPath });
    await d.deleteSnapshot({ ...snap, location: snapPath });
    assert.equal(existsSync(snapPath), false);
    assert.match(execFileSync('qemu-img', ['check', '-f', 'qcow2', path], { encoding: 'utf8' }), /No errors/);
    assert.match(execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x5a 0 64k', path], { encoding: 'utf8' }), /read 65536/);

    const clone = { id: randomUUID(), sizeGb: 2, format: 'qcow2', location: null };
    const clonePath = await d.cloneVolume(clone, { ...vol, sizeGb: 2, location: path });
    assert.match(execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x5a 0 64k', clonePath], { encoding: 'utf8' }), /read 65536/);

    const conn = await d.initializeConnection({ ...clone, location: clonePath }, { host: 'h' }, false);
    assert.deepEqual(conn, { driver_volume_type: 'file', data: { path: clonePath, format: 'qcow2', name: `volume-${clone.id}`, volume_id: clone.id, access_mode: 'rw' } });
    const cap = await d.capacity();
    assert.equal(cap.provisionedGb, 2 + 3 + 2);
    assert.ok(cap.totalGb >= cap.freeGb);

    // A backup of the old layout (a compressed qcow2 per backup, as made before chunked backups) still restores in
    // place and into a new volume, and goes with delete.
    const backupId = randomUUID();
    const backup = { id: backupId, location: join(backupsDir, `backup-${backupId}`) };
    execFileSync('qemu-img', ['convert', '-q', '-c', '-f', 'qcow2', '-O', 'qcow2', path, backup.location]);
    assert.equal(d.legacyBackups!.owns(backup.location), true);
    assert.equal(d.legacyBackups!.owns('chunked+file:volume_x/backup_y'), false);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x11 0 64k', path]);
    await d.legacyBackups!.restore(backup, { ...vol, sizeGb: 2, location: path });
    assert.match(execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x5a 0 64k', path], { encoding: 'utf8' }), /read 65536/);
    const restored = { id: randomUUID(), sizeGb: 2, format: 'raw', location: null };
    const restoredPath = await d.legacyBackups!.createVolume(restored, backup);
    assert.match(execFileSync('qemu-io', ['-f', 'raw', '-c', 'read -P 0x5a 0 64k', restoredPath], { encoding: 'utf8' }), /read 65536/);
    await d.legacyBackups!.delete(backup);
    await d.legacyBackups!.delete(backup);
    assert.deepEqual(readdirSync(backupsDir), []);

    // The raw view of a qcow2 volume reads its bytes (through a temporary copy removed on close), and writeRaw
    // replaces a volume's data, converting back to its format and keeping its size.
    const raw = await d.openRaw!({ ...vol, sizeGb: 2, location: path });
    assert.equal(raw.size, 2 * GiB);
    const head = Buffer.alloc(65536);
    assert.equal(await raw.read(head, 0), 65536);
    assert.ok(head.equals(Buffer.alloc(65536, 0x5a)));
    await raw.close();
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.partial-')), []);
    await d.writeRaw!({ ...vol, sizeGb: 2, location: path }, GiB, async (out) => { await out.write(Buffer.alloc(4096, 0x77), 8192); });
    assert.match(execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x77 8192 4k', '-c', 'read -P 0 0 8k', path], { encoding: 'utf8' }), /read 4096[^]*read 8192/);
    assert.equal(info(path, 'qcow2')['virtual-size'], 2 * GiB);
    await assert.rejects(d.writeRaw!({ ...vol, sizeGb: 2, location: path }, GiB, async () => { throw new Error('cut off'); }), /cut off/);
    assert.match(execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x77 8192 4k', path], { encoding: 'utf8' }), /read 4096/, 'a failed write leaves the volume as it was');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.partial-')), []);

    for (const v of [vol, fromSnap, clone, restored]) { await d.deleteVolume(v); await d.deleteVolume(v); }
    assert.deepEqual(readdirSync(dir), []);
  });

  it('leaves no partial file when qemu-img fails, removes partial files of a dead process on start, and refuses non-UUID ids', async () => {
    const d = createFileDriver({ dir, backupsDir, maxOverSubscriptionRatio: 20, log: silentLogger() });
    writeFileSync(join(dir, `.partial-volume-${randomUUID()}`), 'half');
    await d.start();
    assert.deepEqual(readdirSync(dir), []);
    const missing = { id: randomUUID(), volumeId: randomUUID(), location: null };
    await assert.rejects(d.createVolumeFromSnapshot({ id: randomUUID(), sizeGb: 1, format: 'qcow2', location: null }, missing), /qemu-img convert failed/);
    assert.deepEqual(readdirSync(dir), []);
    await assert.rejects(d.createVolume({ id: '../../etc/passwd', sizeGb: 1, format: 'qcow2', location: null }), /not a UUID/);
    await assert.rejects(d.createVolume({ id: randomUUID(), sizeGb: 1, format: 'vmdk', location: null }), /unsupported volume format/);
    assert.deepEqual(readdirSync(dir), []);
  });
});
