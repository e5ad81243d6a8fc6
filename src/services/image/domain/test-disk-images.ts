// Test fixture: small crafted disk image headers (qcow2, VMDK, VHD, ISO) for the inspector and upload tests.

/** A qcow2 v3 header (104 bytes) plus the end-of-extensions marker, with the fields a test wants set. */
export function qcow2Header(opts: { size?: bigint; backing?: string; incompatible?: bigint; dataFileExt?: boolean } = {}): Buffer {
  const b = Buffer.alloc(4096);
  b.writeUInt32BE(0x514649fb, 0);
  b.writeUInt32BE(3, 4);
  b.writeUInt32BE(16, 20);
  b.writeBigUInt64BE(opts.size ?? 1n << 30n, 24);
  b.writeBigUInt64BE(opts.incompatible ?? 0n, 72);
  b.writeUInt32BE(4, 96);
  b.writeUInt32BE(104, 100);
  let at = 104;
  if (opts.dataFileExt) {
    b.writeUInt32BE(0x44415441, at);
    b.writeUInt32BE(8, at + 4);
    b.write('data.raw', at + 8, 'latin1');
    at += 16;
  }
  b.writeUInt32BE(0, at);
  if (opts.backing) {
    b.writeBigUInt64BE(512n, 8);
    b.writeUInt32BE(opts.backing.length, 16);
    b.write(opts.backing, 512, 'latin1');
  }
  return b;
}

export function vmdkSparse(descriptor: string, capacitySectors = 2048n): Buffer {
  const b = Buffer.alloc(4096);
  b.write('KDMV', 0, 'latin1');
  b.writeUInt32LE(1, 4);
  b.writeBigUInt64LE(capacitySectors, 12);
  b.writeBigUInt64LE(128n, 20);
  b.writeBigUInt64LE(1n, 28);
  b.writeBigUInt64LE(4n, 36);
  b.write(descriptor, 512, 'latin1');
  return b;
}

export const descriptor = (createType: string, extents: string[]) =>
  `# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="${createType}"\n\n# Extent description\n${extents.join('\n')}\n`;

export function vhdFooter(diskType: number, size: bigint): Buffer {
  const b = Buffer.alloc(512);
  b.write('conectix', 0, 'latin1');
  b.writeBigUInt64BE(size, 48);
  b.writeUInt32BE(diskType, 60);
  return b;
}

export function isoImage(blocks: number): Buffer {
  const b = Buffer.alloc(0x8800);
  b[0x8000] = 1;
  b.write('CD001', 0x8001, 'latin1');
  b.writeUInt32LE(blocks, 0x8000 + 80);
  b.writeUInt16LE(2048, 0x8000 + 128);
  return b;
}
