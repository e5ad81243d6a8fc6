// The image cache with the real qemu-img: one download for concurrent spawns, images whose bytes are not what they
// claim (or that point at host files) refused with nothing left behind, and pruning only what no instance uses.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { silentLogger } from '#lib/log.ts';
import type { ImageSource } from '../hypervisor-driver.ts';
import { createDiskTool } from './disks.ts';
import { createImageCache } from './image-cache.ts';

let skip: string | false = false;
try { execFileSync('qemu-img', ['--version']); } catch { skip = 'qemu-img is not installed (apt-get install qemu-utils)'; }

describe('image cache', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-image-cache-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = createImageCache({ dir: join(dir, '_base'), disks: createDiskTool({ log: silentLogger() }), unusedSeconds: 60, log: silentLogger() });
  const qcow2 = (name: string, args: string[] = []) => {
    const path = join(dir, name);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', ...args, path, '1M']);
    return readFileSync(path);
  };
  let opened = 0;
  const source = (data: Buffer, diskFormat: string): ImageSource => ({
    id: randomUUID(), diskFormat, size: data.length, checksum: null, hashAlgo: null, hashValue: null,
    open: async () => { opened += 1; return Readable.from([data]); },
  });
  const leftovers = (id: string) => readdirSync(join(dir, '_base')).filter((n) => n.startsWith(id));

  it('downloads an image once for concurrent users and reports its virtual size', async () => {
    const image = source(qcow2('good.qcow2'), 'qcow2');
    opened = 0;
    const [a, b] = await Promise.all([cache.fetch(image), cache.fetch(image)]);
    assert.equal(opened, 1);
    assert.deepEqual([a.format, a.virtualSize, a.path], ['qcow2', 1024 * 1024, join(dir, '_base', image.id)]);
    assert.equal(b.path, a.path);
  });

  it('refuses images whose data is not their disk_format, or that name a backing file, leaving nothing', async () => {
    const cases: [ImageSource, RegExp][] = [
      [source(qcow2('as-raw.qcow2'), 'raw'), /declared raw but its data is qcow2/],
      [source(Buffer.alloc(1024 * 1024), 'qcow2'), /declared qcow2 but its data is not qcow2/],
      [source(qcow2('backed.qcow2', ['-F', 'raw', '-b', '/etc/passwd']), 'qcow2'), /backing file/],
      [source(Buffer.alloc(512), 'vmdk'), /cannot be booted/],
      [{ ...source(Buffer.alloc(512), 'raw'), checksum: 'f'.repeat(32) }, /does not match its checksum/],
      [{ ...source(Buffer.alloc(512), 'raw'), hashAlgo: 'sha512', hashValue: 'a'.repeat(128) }, /does not match its sha512 hash/],
    ];
    for (const [image, error] of cases) {
      await assert.rejects(cache.fetch(image), error);
      assert.deepEqual(leftovers(image.id), []);
    }
  });

  it('prunes bases unused for the period, never one an instance uses', async () => {
    const [used, unused, recent] = [source(qcow2('a.qcow2'), 'qcow2'), source(qcow2('b.qcow2'), 'qcow2'), source(qcow2('c.qcow2'), 'qcow2')];
    for (const image of [used, unused, recent]) await cache.fetch(image);
    const old = new Date(Date.now() - 3600_000);
    for (const image of [used, unused]) utimesSync(join(dir, '_base', image.id), old, old);
    assert.deepEqual(await cache.prune(new Set([used.id])), [unused.id]);
    assert.deepEqual([leftovers(used.id).length, leftovers(unused.id).length, leftovers(recent.id).length], [1, 0, 1]);
  });
});
