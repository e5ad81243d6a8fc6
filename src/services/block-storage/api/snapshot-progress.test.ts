// Snapshot progress (os-extended-snapshot-attributes:progress) while the copy runs: the volume service passes the
// driver's percentages on to the conductor (at most one a second), the API shows them while the snapshot is creating,
// and 100% once it is available; the file driver's percentages come from qemu-img convert -p.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';
import type { VolumeDriver } from '../volume/drivers/volume-driver.ts';
import { progressReporter } from '../volume/volume-manager.ts';
import { createFileDriver } from '../volume/drivers/file/file-driver.ts';

let noQemuImg: string | false = false;
try { execFileSync('qemu-img', ['--version']); } catch { noQemuImg = 'qemu-img is not installed (apt-get install qemu-utils)'; }

describe('snapshot progress', () => {
  let c: TestBlockStorage;
  before(async () => { c = await startBlockStorageForTest(); });
  after(async () => { await c?.close(); });

  it('shows the copy\'s progress while the snapshot is creating, and 100% when it is available', async () => {
    const { alice } = c.as;
    const driver = c.volume.driver as VolumeDriver;
    const original = driver.createSnapshot.bind(driver);
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    // The fake backend copies at once: here it reports 40% and then waits for the test, as a long copy would.
    driver.createSnapshot = async (s, v, progress) => {
      progress?.(40);
      await gate;
      return original(s, v, progress);
    };
    try {
      const v = await c.createVolume(alice, { size: 1 });
      const r = await c.call('POST', c.p(alice, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: v.id } } });
      assert.equal(r.status, 202);
      assert.equal(r.body.snapshot.status, 'creating');
      const path = c.p(alice, `/snapshots/${r.body.snapshot.id}`);
      const mid = (await c.waitFor(alice, path, ['40%'], (b) => b.snapshot['os-extended-snapshot-attributes:progress'])).snapshot;
      assert.equal(mid.status, 'creating');
      release();
      const done = (await c.waitFor(alice, path, ['available', 'error'])).snapshot;
      assert.deepEqual([done.status, done['os-extended-snapshot-attributes:progress']], ['available', '100%']);
    } finally {
      release();
      driver.createSnapshot = original;
    }
  });

  it('passes on the first percentage at once, then at most one a second, never going back and never 100', () => {
    const seen: number[] = [];
    const report = progressReporter((p) => seen.push(p), 60_000);
    for (const p of [3, 10, 50, 100]) report(p);
    assert.deepEqual(seen, [3]);
    const every = progressReporter((p) => seen.push(p), 0);
    for (const p of [5, 4, 7, 100]) every(p);
    assert.deepEqual(seen, [3, 5, 7]);
  });

  it('the file driver reports qemu-img\'s percentages in order, up to 100', { skip: noQemuImg }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snapshot-progress-'));
    try {
      const d = createFileDriver({ dir, backupsDir: join(dir, 'backups'), maxOverSubscriptionRatio: 20, log: silentLogger() });
      await d.start();
      const vol = { id: randomUUID(), sizeGb: 1, format: 'raw', location: null };
      const path = await d.createVolume(vol);
      writeFileSync(join(dir, 'data'), Buffer.alloc(8 * 1024 * 1024, 0x5a));
      execFileSync('dd', [`if=${join(dir, 'data')}`, `of=${path}`, 'conv=notrunc', 'status=none']);
      const seen: number[] = [];
      await d.createSnapshot({ id: randomUUID(), volumeId: vol.id, location: null }, vol, (p) => seen.push(p));
      assert.ok(seen.length >= 2, `several percentages: ${seen.join(',')}`);
      assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'in order');
      assert.equal(seen.at(-1), 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
