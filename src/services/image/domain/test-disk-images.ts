// Test fixture: small crafted disk image headers (qcow2, VMDK, VHD, VHDX, ISO, ploop) for the inspector and upload tests.

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

/** A GUID in VHDX's byte order (first three fields little-endian). */
function vhdxGuid(guid: string): Buffer {
  const [a, b, c, d, e] = guid.split('-');
  const out = Buffer.alloc(16);
  out.writeUInt32LE(parseInt(a, 16), 0);
  out.writeUInt16LE(parseInt(b, 16), 4);
  out.writeUInt16LE(parseInt(c, 16), 6);
  Buffer.from(d + e, 'hex').copy(out, 8);
  return out;
}

export interface VhdxOptions {
  /** The Virtual Disk Size item's value. */
  size?: bigint;
  /** Where the metadata region starts (the spec puts regions at 1 MiB multiples) and its declared length. */
  metadataAt?: number;
  metadataLength?: number;
  /** The Virtual Disk Size item's offset inside the metadata region (qemu: 64 KiB + 8); undefined leaves it out. */
  vdsOffset?: number | null;
  /** Adds a Parent Locator item: a differencing disk. */
  parent?: boolean;
  /** Region table signature (default "regi"). */
  regionSignature?: string;
  /** Bytes of the image to return, from the start (default: up to the end of the last structure). */
  truncateAt?: number;
}

/** A VHDX with a file identifier, a region table at 192 KiB and a metadata region holding the items asked for. */
export function vhdxImage(opts: VhdxOptions = {}): Buffer {
  const metadataAt = opts.metadataAt ?? 1024 * 1024;
  const vdsOffset = opts.vdsOffset === undefined ? 65536 + 8 : opts.vdsOffset;
  const end = Math.max(metadataAt + 65536 + 16, vdsOffset === null ? 0 : metadataAt + vdsOffset + 8);
  const b = Buffer.alloc(end);
  b.write('vhdxfile', 0, 'latin1');
  const table = 192 * 1024;
  b.write(opts.regionSignature ?? 'regi', table, 'latin1');
  b.writeUInt32LE(2, table + 8);
  vhdxGuid('2DC27766-F623-4200-9D64-115E9BFD4A08').copy(b, table + 16);
  b.writeBigUInt64LE(2n * 1024n * 1024n, table + 32);
  b.writeUInt32LE(1024 * 1024, table + 40);
  vhdxGuid('8B7CA206-4790-4B9A-B8FE-575F050F886E').copy(b, table + 48);
  b.writeBigUInt64LE(BigInt(metadataAt), table + 64);
  b.writeUInt32LE(opts.metadataLength ?? 1024 * 1024, table + 72);
  const items: [string, number][] = [['CAA16737-FA36-4D43-B3B6-33F0AA44E76B', 65536]];
  if (vdsOffset !== null) items.push(['2FA54224-CD1B-4876-B211-5DBED83BF4B8', vdsOffset]);
  if (opts.parent) items.push(['A8D35F2D-B30B-454D-ABF7-D3D84834AB0C', 65536 + 16]);
  b.write('metadata', metadataAt, 'latin1');
  b.writeUInt16LE(items.length, metadataAt + 10);
  items.forEach(([guid, offset], i) => {
    const at = metadataAt + 32 + i * 32;
    vhdxGuid(guid).copy(b, at);
    b.writeUInt32LE(offset, at + 16);
    b.writeUInt32LE(8, at + 20);
  });
  b.writeUInt32LE(32 * 1024 * 1024, metadataAt + 65536);
  if (vdsOffset !== null && metadataAt + vdsOffset + 8 <= b.length) b.writeBigUInt64LE(opts.size ?? 1n << 30n, metadataAt + vdsOffset);
  return opts.truncateAt === undefined ? b : b.subarray(0, opts.truncateAt);
}

/** A ploop header: "WithouFreSpacExt" (64-bit size) unless v1, then the BAT and nothing else. */
export function ploopImage(opts: { sectors?: bigint; v1?: boolean; version?: number } = {}): Buffer {
  const b = Buffer.alloc(4096);
  b.write(opts.v1 ? 'WithoutFreeSpace' : 'WithouFreSpacExt', 0, 'latin1');
  b.writeUInt32LE(opts.version ?? 2, 16);
  b.writeUInt32LE(16, 20);
  b.writeUInt32LE(2048, 28);
  b.writeUInt32LE(64, 32);
  if (opts.v1) b.writeUInt32LE(Number((opts.sectors ?? 131072n) & 0xffffffffn), 36);
  else b.writeBigUInt64LE(opts.sectors ?? 131072n, 36);
  b.writeUInt32LE(8, 48);
  return b;
}
