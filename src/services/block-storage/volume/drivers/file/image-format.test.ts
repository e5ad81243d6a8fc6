// The image check before qemu-img: declared and detected formats agree; qcow2 backing and external data files refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkImageFormat } from './image-format.ts';

let skip: string | false = false;
try { execFileSync('qemu-img', ['--version']); } catch { skip = 'qemu-img is not installed (apt-get install qemu-utils)'; }

describe('image format check', { skip }, () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'image-format-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts plain raw and qcow2, refuses mismatches, backing files and external data files', async () => {
    const raw = join(dir, 'a.raw');
    writeFileSync(raw, Buffer.alloc(4096, 7));
    const plain = join(dir, 'plain.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', plain, '1M']);
    const backed = join(dir, 'backed.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', raw, '-F', 'raw', backed]);
    const external = join(dir, 'external.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${join(dir, 'ext.data')}`, external, '1M']);
    await checkImageFormat(raw, 'raw');
    await checkImageFormat(plain, 'qcow2');
    await assert.rejects(checkImageFormat(plain, 'raw'), /declared raw but its data is qcow2/);
    await assert.rejects(checkImageFormat(raw, 'qcow2'), /declared qcow2 but its data is not/);
    await assert.rejects(checkImageFormat(backed, 'qcow2'), /backing file/);
    await assert.rejects(checkImageFormat(external, 'qcow2'), /external data file/);
    await assert.rejects(checkImageFormat(raw, 'vmdk'), /not supported/);
  });
});
