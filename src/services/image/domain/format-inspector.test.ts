// The format inspector against crafted headers (always) and real images made by qemu-img (when it is installed).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFormatInspector, formatRefusal, inspectBytes } from './format-inspector.ts';
import { descriptor, isoImage, ploopImage, qcow2Header, vhdFooter, vhdxImage, vmdkSparse } from './test-disk-images.ts';

describe('format inspector', () => {
  it('a qcow2 header gives the format and the virtual size, and is accepted as qcow2 only', () => {
    const r = inspectBytes(qcow2Header({ size: 5n << 30n }));
    assert.deepEqual(r, { format: 'qcow2', virtualSize: 5 * 2 ** 30, problems: [] });
    assert.equal(formatRefusal('qcow2', r), undefined);
    assert.match(formatRefusal('raw', r)!, /disk_format is raw but the data is qcow2/);
  });

  it('a qcow2 with a backing file, an external data file bit or a data-file extension is refused whatever is declared', () => {
    for (const [header, why] of [
      [qcow2Header({ backing: '/etc/passwd' }), /backing file/],
      [qcow2Header({ incompatible: 1n << 2n }), /external data file/],
      [qcow2Header({ dataFileExt: true }), /external data file/],
      [qcow2Header({ incompatible: 1n << 40n }), /unknown incompatible features/],
    ] as const) {
      const r = inspectBytes(header);
      assert.equal(r.format, 'qcow2');
      assert.match(formatRefusal('qcow2', r)!, why);
      assert.match(formatRefusal('raw', r)!, why);
    }
  });

  it('a truncated qcow2 header is refused rather than taken for raw', () => {
    assert.match(formatRefusal('qcow2', inspectBytes(qcow2Header().subarray(0, 40)))!, /truncated/);
  });

  it('a VMDK monolithicSparse is accepted; other create types, several extents or flat extents are refused', () => {
    const ok = inspectBytes(vmdkSparse(descriptor('monolithicSparse', ['RW 2048 SPARSE "disk.vmdk"'])));
    assert.deepEqual(ok, { format: 'vmdk', virtualSize: 2048 * 512, problems: [] });
    assert.equal(formatRefusal('vmdk', ok), undefined);
    assert.match(formatRefusal('vmdk', inspectBytes(vmdkSparse(descriptor('monolithicFlat', ['RW 2048 FLAT "/etc/shadow" 0']))))!, /createType "monolithicFlat"/);
    assert.match(formatRefusal('vmdk', inspectBytes(vmdkSparse(descriptor('monolithicSparse', ['RW 2048 SPARSE "a.vmdk"', 'RW 2048 SPARSE "b.vmdk"']))))!, /2 extents/);
    assert.match(formatRefusal('vmdk', inspectBytes(vmdkSparse(descriptor('streamOptimized', ['RW 2048 FLAT "/dev/sda" 0']))))!, /external extent/);
    assert.match(formatRefusal('vmdk', inspectBytes(Buffer.from(descriptor('monolithicFlat', ['RW 2048 FLAT "/etc/passwd" 0']))))!, /descriptor file/);
  });

  it('VHD: a dynamic disk is read from its leading footer copy, a fixed one from its trailing footer; differencing is refused', () => {
    const dynamic = Buffer.concat([vhdFooter(3, 1n << 20n), Buffer.alloc(1024)]);
    assert.deepEqual(inspectBytes(dynamic), { format: 'vhd', virtualSize: 1 << 20, problems: [] });
    const fixed = inspectBytes(Buffer.concat([Buffer.alloc(4096, 7), vhdFooter(2, 4096n)]));
    assert.equal(fixed.format, 'vhd');
    assert.equal(formatRefusal('vhd', fixed), undefined);
    assert.equal(formatRefusal('raw', fixed), undefined, 'a fixed VHD is raw sectors plus a footer');
    assert.match(formatRefusal('vhd', inspectBytes(vhdFooter(4, 1n << 20n)))!, /differencing/);
  });

  it('an ISO gives its size from the volume descriptor and may be declared iso or raw; a qcow2 that is also an ISO is refused', () => {
    const r = inspectBytes(isoImage(100));
    assert.deepEqual(r, { format: 'iso', virtualSize: 204800, problems: [] });
    assert.equal(formatRefusal('iso', r), undefined);
    assert.equal(formatRefusal('raw', r), undefined);
    const polyglot = Buffer.concat([qcow2Header(), Buffer.alloc(0x8800 - 4096)]);
    isoImage(1).copy(polyglot, 0x8000, 0x8000);
    assert.match(formatRefusal('qcow2', inspectBytes(polyglot))!, /several disk formats \(qcow2 and iso\)/);
  });

  it('raw data is raw with its own size as virtual size, and is refused when declared as another format', () => {
    const r = inspectBytes(Buffer.alloc(10_000, 1));
    assert.deepEqual(r, { format: 'raw', virtualSize: 10_000, problems: [] });
    assert.equal(formatRefusal('raw', r), undefined);
    assert.match(formatRefusal('qcow2', r)!, /not recognisable as qcow2/);
    assert.match(formatRefusal('iso', r)!, /not recognisable as iso/);
  });

  it('the streaming inspector keeps a bounded head whatever the data size, and sees a header split across chunks', () => {
    const inspector = createFormatInspector();
    const header = qcow2Header({ backing: 'base.qcow2' });
    for (let i = 0; i < header.length; i += 7) inspector.write(header.subarray(i, i + 7));
    const chunk = Buffer.alloc(256 * 1024);
    for (let i = 0; i < 16; i++) inspector.write(chunk);
    assert.equal(inspector.settled, true);
    assert.match(formatRefusal('qcow2', inspector.finish())!, /backing file/);
  });

  /** Streams `data` through an inspector in chunks of `size`, noting after how many bytes it settled. */
  function streamed(data: Buffer, size: number): { inspection: ReturnType<typeof inspectBytes>; settledAt: number | undefined } {
    const inspector = createFormatInspector();
    let settledAt: number | undefined;
    for (let i = 0; i < data.length; i += size) {
      inspector.write(data.subarray(i, i + size));
      if (settledAt === undefined && inspector.settled) settledAt = Math.min(i + size, data.length);
    }
    return { inspection: inspector.finish(), settledAt };
  }

  it('VHDX: the virtual size comes from the metadata region\'s Virtual Disk Size, whatever the chunking', () => {
    const image = vhdxImage({ size: 5n << 30n });
    assert.deepEqual(inspectBytes(image), { format: 'vhdx', virtualSize: 5 * 2 ** 30, problems: [] });
    assert.equal(formatRefusal('vhdx', inspectBytes(image)), undefined);
    assert.match(formatRefusal('raw', inspectBytes(image))!, /disk_format is raw but the data is vhdx/);
    for (const size of [7777, 65536, 1 << 20, image.length]) {
      const { inspection, settledAt } = streamed(image, size);
      assert.deepEqual(inspection, { format: 'vhdx', virtualSize: 5 * 2 ** 30, problems: [] }, `chunks of ${size}`);
      // The verdict waits for the item, 64 KiB + 8 into the metadata region at 1 MiB.
      assert.ok(settledAt !== undefined && settledAt >= (1 << 20) + 65536 + 16, `settled after ${settledAt} bytes with chunks of ${size}`);
    }
    // The item inside the captured metadata table, and a metadata region further on, read the same way.
    assert.equal(inspectBytes(vhdxImage({ size: 3n << 20n, vdsOffset: 4096 })).virtualSize, 3 << 20);
    assert.equal(streamed(vhdxImage({ size: 3n << 20n, metadataAt: 3 << 20 }), 65536).inspection.virtualSize, 3 << 20);
  });

  it('VHDX: structures past the data or outside their region, a parent, or no size are refused, never trusted', () => {
    const refused = (image: Buffer, why: RegExp) => {
      const r = inspectBytes(image);
      assert.equal(r.format, 'vhdx');
      assert.equal(r.virtualSize, null);
      assert.match(formatRefusal('vhdx', r)!, why);
      assert.match(formatRefusal('vhdx', streamed(image, 65536).inspection)!, why);
    };
    refused(vhdxImage({ truncateAt: (1 << 20) + 1000 }), /metadata lies beyond the data/);
    refused(vhdxImage({ truncateAt: (1 << 20) + 65536 + 12 }), /metadata lies beyond the data/);
    const far = vhdxImage();
    far.writeBigUInt64LE(1n << 40n, 192 * 1024 + 64);
    refused(far, /metadata lies beyond the data/);
    refused(vhdxImage().subarray(0, 200 * 1024), /region table lies beyond the data/);
    refused(vhdxImage({ vdsOffset: 65536 + 8, metadataLength: 65536 }), /virtual disk size lies outside its metadata region/);
    refused(vhdxImage({ parent: true }), /differencing disk with a parent/);
    refused(vhdxImage({ vdsOffset: null }), /no virtual disk size/);
    refused(vhdxImage({ regionSignature: 'nope' }), /region table has no signature/);
    refused(vhdxImage({ size: 65n << 40n }), /outside the format's 64 TiB/);
  });

  it('ploop: the virtual size is the header\'s sector count; another header version or a truncated header is refused', () => {
    assert.deepEqual(inspectBytes(ploopImage({ sectors: 131072n })), { format: 'ploop', virtualSize: 64 << 20, problems: [] });
    assert.equal(formatRefusal('ploop', inspectBytes(ploopImage())), undefined);
    assert.match(formatRefusal('raw', inspectBytes(ploopImage()))!, /the data is ploop/);
    assert.equal(inspectBytes(ploopImage({ v1: true, sectors: 2048n })).virtualSize, 1 << 20, 'v1 keeps a 32-bit count');
    assert.equal(inspectBytes(ploopImage({ sectors: 1n << 33n })).virtualSize, 2 ** 42, 'v2 has 64 bits');
    assert.match(formatRefusal('ploop', inspectBytes(ploopImage({ version: 3 })))!, /ploop header version 3/);
    assert.match(formatRefusal('ploop', inspectBytes(ploopImage().subarray(0, 40)))!, /ploop header is truncated/);
    assert.match(formatRefusal('ploop', inspectBytes(ploopImage({ sectors: 1n << 60n })))!, /implausible/);
  });

  const qemuImg = ['/usr/bin/qemu-img', '/usr/local/bin/qemu-img'].find(existsSync);
  it('real images from qemu-img: qcow2, qcow2 with a backing file, vmdk, vhd, vhdx and ploop', { skip: qemuImg ? false : 'qemu-img is not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'inspector-'));
    try {
      const make = (args: string[]) => execFileSync(qemuImg!, args, { stdio: 'pipe' });
      const read = (name: string) => readFileSync(join(dir, name));
      make(['create', '-f', 'qcow2', join(dir, 'base.qcow2'), '64M']);
      make(['create', '-f', 'qcow2', '-b', join(dir, 'base.qcow2'), '-F', 'qcow2', join(dir, 'child.qcow2')]);
      make(['create', '-f', 'qcow2', '-o', `data_file=${join(dir, 'data.raw')}`, join(dir, 'external.qcow2'), '16M']);
      make(['create', '-f', 'vmdk', join(dir, 'disk.vmdk'), '32M']);
      make(['create', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', join(dir, 'flat.vmdk'), '1M']);
      make(['create', '-f', 'vpc', join(dir, 'disk.vhd'), '32M']);
      make(['create', '-f', 'vhdx', join(dir, 'disk.vhdx'), '32M']);
      make(['create', '-f', 'vhdx', '-o', 'subformat=fixed', join(dir, 'fixed.vhdx'), '8M']);
      make(['create', '-f', 'parallels', join(dir, 'disk.ploop'), '64M']);
      writeFileSync(join(dir, 'disk.raw'), Buffer.alloc(1 << 20));

      assert.deepEqual(inspectBytes(read('base.qcow2')), { format: 'qcow2', virtualSize: 64 << 20, problems: [] });
      assert.match(formatRefusal('qcow2', inspectBytes(read('child.qcow2')))!, /backing file/);
      assert.match(formatRefusal('raw', inspectBytes(read('child.qcow2')))!, /backing file/);
      assert.match(formatRefusal('qcow2', inspectBytes(read('external.qcow2')))!, /external data file/);
      const vmdk = inspectBytes(read('disk.vmdk'));
      assert.deepEqual([vmdk.format, vmdk.virtualSize, formatRefusal('vmdk', vmdk)], ['vmdk', 32 << 20, undefined]);
      assert.match(formatRefusal('vmdk', inspectBytes(read('flat.vmdk')))!, /descriptor file/);
      const vhd = inspectBytes(read('disk.vhd'));
      assert.deepEqual([vhd.format, formatRefusal('vhd', vhd)], ['vhd', undefined]);
      assert.ok(vhd.virtualSize! >= 32 << 20, `vhd virtual size ${vhd.virtualSize}`);
      assert.deepEqual(inspectBytes(read('disk.vhdx')), { format: 'vhdx', virtualSize: 32 << 20, problems: [] });
      assert.deepEqual(streamed(read('fixed.vhdx'), 65536).inspection, { format: 'vhdx', virtualSize: 8 << 20, problems: [] });
      assert.deepEqual(inspectBytes(read('disk.ploop')), { format: 'ploop', virtualSize: 64 << 20, problems: [] });
      assert.equal(formatRefusal('raw', inspectBytes(read('disk.raw'))), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
