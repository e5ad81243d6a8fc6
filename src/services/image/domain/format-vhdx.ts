// The virtual size of a VHDX, read from its structures as the data streams past: the region table (at 192 KiB, in the
// inspector's head) locates the metadata region, whose table locates the Virtual Disk Size item. Each step names the
// bytes it needs next (anywhere in the file) and the inspector captures them; what lies past the data, outside its
// region or beyond the format's limits is a problem, never a size.

/** The next bytes a step needs, and what to do with them; or the verdict. */
export type VhdxStep =
  | { need: { start: number; length: number }; then(data: Buffer): VhdxStep }
  | { done: { virtualSize: number | null; problems: string[] } };

const REGION_TABLE_AT = 192 * 1024;
const REGION_TABLE_SIZE = 64 * 1024;
/** The metadata table: a 32-byte header and at most 2047 32-byte entries. */
const METADATA_TABLE_MAX = 32 * 2048;
const MAX_ENTRIES = 2047;
/** The largest virtual disk the VHDX format allows (64 TiB). */
const MAX_VIRTUAL_SIZE = 64 * 1024 ** 4;

const METADATA_REGION = '8B7CA206-4790-4B9A-B8FE-575F050F886E';
const VIRTUAL_DISK_SIZE = '2FA54224-CD1B-4876-B211-5DBED83BF4B8';
const PARENT_LOCATOR = 'A8D35F2D-B30B-454D-ABF7-D3D84834AB0C';

/** A GUID as VHDX stores it: the first three fields little-endian, the last eight bytes in order. */
function guidAt(b: Buffer, at: number): string {
  const hex = (from: number, to: number) => b.subarray(at + from, at + to).toString('hex');
  const tail = hex(8, 16);
  return [b.readUInt32LE(at).toString(16).padStart(8, '0'), b.readUInt16LE(at + 4).toString(16).padStart(4, '0'),
    b.readUInt16LE(at + 6).toString(16).padStart(4, '0'), tail.slice(0, 4), tail.slice(4)].join('-').toUpperCase();
}

const fail = (problem: string): VhdxStep => ({ done: { virtualSize: null, problems: [problem] } });

/** The first step: the region table, read from the head (which starts with "vhdxfile"). */
export function vhdxFromHead(head: Buffer): VhdxStep {
  if (head.length < REGION_TABLE_AT + REGION_TABLE_SIZE) return fail('the VHDX region table lies beyond the data');
  const table = head.subarray(REGION_TABLE_AT, REGION_TABLE_AT + REGION_TABLE_SIZE);
  if (table.toString('latin1', 0, 4) !== 'regi') return fail('the VHDX region table has no signature');
  const count = table.readUInt32LE(8);
  if (count > MAX_ENTRIES) return fail(`the VHDX region table lists ${count} regions (at most ${MAX_ENTRIES})`);
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 32;
    if (guidAt(table, at) !== METADATA_REGION) continue;
    const start = Number(table.readBigUInt64LE(at + 16));
    const length = table.readUInt32LE(at + 24);
    if (length < 32) return fail('the VHDX metadata region is too small for its table');
    return { need: { start, length: Math.min(length, METADATA_TABLE_MAX) }, then: (data) => metadataTable(data, start, length) };
  }
  return fail('the VHDX has no metadata region');
}

function metadataTable(data: Buffer, regionStart: number, regionLength: number): VhdxStep {
  if (data.toString('latin1', 0, 8) !== 'metadata') return fail('the VHDX metadata table has no signature');
  const count = data.readUInt16LE(10);
  if (count > MAX_ENTRIES || 32 + count * 32 > data.length) return fail(`the VHDX metadata table lists ${count} items, more than its region holds`);
  const items = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < count; i++) {
    const at = 32 + i * 32;
    items.set(guidAt(data, at), { offset: data.readUInt32LE(at + 16), length: data.readUInt32LE(at + 20) });
  }
  // A differencing disk reads its parent, another file: the same class as a qcow2 backing file.
  if (items.has(PARENT_LOCATOR)) return fail('the VHDX is a differencing disk with a parent');
  const vds = items.get(VIRTUAL_DISK_SIZE);
  if (!vds) return fail('the VHDX metadata has no virtual disk size');
  if (vds.length !== 8 || vds.offset + 8 > regionLength) return fail('the VHDX virtual disk size lies outside its metadata region');
  // The item is usually past the table (at 64 KiB into the region): then its 8 bytes are captured too.
  if (vds.offset + 8 <= data.length) return virtualSize(data.subarray(vds.offset, vds.offset + 8));
  return { need: { start: regionStart + vds.offset, length: 8 }, then: virtualSize };
}

function virtualSize(data: Buffer): VhdxStep {
  const size = data.readBigUInt64LE(0);
  if (size === 0n || size > BigInt(MAX_VIRTUAL_SIZE)) return fail(`the VHDX virtual disk size ${size} is outside the format's 64 TiB`);
  return { done: { virtualSize: Number(size), problems: [] } };
}
