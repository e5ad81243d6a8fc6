// Safe disk images: detects the real format of uploaded bytes as they stream past (no qemu-img, no file on disk)
// and finds the features that let a disk image read other files on the host — qcow2 backing and external data
// files, VMDK extents, differencing VHD/VHDX/VDI — the attacks behind OpenStack's image-format advisories.
import { vhdxFromHead } from './format-vhdx.ts';
import type { VhdxStep } from './format-vhdx.ts';

/** Bytes kept from the start of the stream: enough for every header, qcow2 header extensions and an ISO's PVD. */
export const HEAD_BYTES = 1024 * 1024;
const TAIL_BYTES = 512;
const SECTOR = 512;

export type DetectedFormat = 'raw' | 'qcow2' | 'vmdk' | 'vhd' | 'vhdx' | 'iso' | 'vdi' | 'ploop';

export interface Inspection {
  format: DetectedFormat;
  /** The disk's size as a guest sees it, from the header; the data size for raw; null when unknown. */
  virtualSize: number | null;
  /** Why the image is unsafe to hand to qemu; empty when it is safe. */
  problems: string[];
  /** Set for a fixed VHD, recognised only by the footer at the end of the data. */
  fromFooter?: boolean;
}

interface Match { format: DetectedFormat; virtualSize: number | null; problems: string[] }

const ascii = (b: Buffer, at: number, text: string): boolean =>
  b.length >= at + text.length && b.toString('latin1', at, at + text.length) === text;
const u64be = (b: Buffer, at: number): number => Number(b.readBigUInt64BE(at));
const u64le = (b: Buffer, at: number): number => Number(b.readBigUInt64LE(at));

const QCOW2_INCOMPAT_DATA_FILE = 1n << 2n;
/** dirty, corrupt, external data file, compression type, extended L2: every bit qemu 7 knows. */
const QCOW2_INCOMPAT_KNOWN = 0x1fn;
const QCOW2_EXT_DATA_FILE = 0x44415441;

function qcow2(head: Buffer): Match | undefined {
  if (!(head.length >= 4 && head.readUInt32BE(0) === 0x514649fb)) return undefined;
  const problems: string[] = [];
  if (head.length < 72) return { format: 'qcow2', virtualSize: null, problems: ['the qcow2 header is truncated'] };
  const version = head.readUInt32BE(4);
  const virtualSize = u64be(head, 24);
  if (version !== 2 && version !== 3) problems.push(`qcow2 version ${version} is not supported`);
  if (head.readBigUInt64BE(8) !== 0n || head.readUInt32BE(16) !== 0) problems.push('the qcow2 image has a backing file');
  const clusterBits = head.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > 21) problems.push(`qcow2 cluster_bits ${clusterBits} is invalid`);
  let extensionsAt = 72;
  if (version === 3) {
    if (head.length < 104) return { format: 'qcow2', virtualSize, problems: [...problems, 'the qcow2 header is truncated'] };
    const incompatible = head.readBigUInt64BE(72);
    if (incompatible & QCOW2_INCOMPAT_DATA_FILE) problems.push('the qcow2 image uses an external data file');
    if (incompatible & ~QCOW2_INCOMPAT_KNOWN) problems.push('the qcow2 image has unknown incompatible features');
    extensionsAt = head.readUInt32BE(100);
  }
  // Header extensions: type, length, data padded to 8 bytes, ended by type 0. They must lie within what we read.
  for (let at = extensionsAt, n = 0; ; n++) {
    if (at + 8 > head.length || n > 1000) { problems.push('the qcow2 header extensions are truncated or too many'); break; }
    const type = head.readUInt32BE(at);
    if (type === 0) break;
    if (type === QCOW2_EXT_DATA_FILE) problems.push('the qcow2 image names an external data file');
    at += 8 + Math.ceil(head.readUInt32BE(at + 4) / 8) * 8;
  }
  return { format: 'qcow2', virtualSize, problems };
}

/** VMDK create types whose data is all in the one uploaded file. */
const VMDK_SAFE_TYPES = new Set(['monolithicSparse', 'streamOptimized']);

function vmdkDescriptorProblems(text: string): string[] {
  const createType = /^\s*createType\s*=\s*"([^"]*)"/m.exec(text)?.[1];
  const extents = text.split('\n').filter((line) => /^\s*(RW|RDONLY|NOACCESS)\s/.test(line));
  const problems: string[] = [];
  if (!createType || !VMDK_SAFE_TYPES.has(createType)) problems.push(`the VMDK createType "${createType ?? '(none)'}" is not monolithicSparse or streamOptimized`);
  if (extents.length > 1) problems.push(`the VMDK descriptor lists ${extents.length} extents (external extents)`);
  if (extents.some((line) => !/^\s*\S+\s+\d+\s+SPARSE\b/.test(line))) problems.push('the VMDK descriptor has an extent that is not the sparse data of this file (external extent)');
  return problems;
}

function vmdk(head: Buffer): Match | undefined {
  if (ascii(head, 0, '# Disk DescriptorFile')) {
    const text = head.toString('latin1', 0, Math.min(head.length, 64 * 1024));
    return { format: 'vmdk', virtualSize: null, problems: ['the VMDK is a descriptor file whose extents are external files', ...vmdkDescriptorProblems(text)] };
  }
  if (!ascii(head, 0, 'KDMV')) return undefined;
  if (head.length < 44) return { format: 'vmdk', virtualSize: null, problems: ['the VMDK header is truncated'] };
  const virtualSize = u64le(head, 12) * SECTOR;
  const descStart = u64le(head, 28) * SECTOR;
  const descEnd = descStart + u64le(head, 36) * SECTOR;
  if (descStart === 0) return { format: 'vmdk', virtualSize, problems: ['the VMDK has no embedded descriptor'] };
  if (descEnd > head.length) return { format: 'vmdk', virtualSize, problems: ['the VMDK descriptor lies beyond the inspected header'] };
  const text = head.toString('latin1', descStart, descEnd).replace(/\0.*$/s, '');
  return { format: 'vmdk', virtualSize, problems: vmdkDescriptorProblems(text) };
}

/** A VHD footer (512 bytes, "conectix"): disk type 2 fixed, 3 dynamic, 4 differencing (has a parent). */
function vhdFooter(footer: Buffer): Match | undefined {
  if (!ascii(footer, 0, 'conectix') || footer.length < 64) return undefined;
  const diskType = footer.readUInt32BE(60);
  const problems = diskType === 4 ? ['the VHD is a differencing disk with a parent'] : diskType === 2 || diskType === 3 ? [] : [`VHD disk type ${diskType} is invalid`];
  return { format: 'vhd', virtualSize: u64be(footer, 48), problems };
}

function iso(head: Buffer): Match | undefined {
  const pvd = 0x8000;
  if (!ascii(head, pvd + 1, 'CD001') && !ascii(head, 0x8801, 'CD001') && !ascii(head, 0x9001, 'CD001')) return undefined;
  const hasPvd = head.length >= pvd + 130 && head[pvd] === 1 && ascii(head, pvd + 1, 'CD001');
  return { format: 'iso', virtualSize: hasPvd ? head.readUInt32LE(pvd + 80) * head.readUInt16LE(pvd + 128) : null, problems: [] };
}

function vdi(head: Buffer): Match | undefined {
  if (!(head.length >= 0x44 && head.readUInt32LE(0x40) === 0xbeda107f)) return undefined;
  if (head.length < 0x178) return { format: 'vdi', virtualSize: null, problems: ['the VDI header is truncated'] };
  const type = head.readUInt32LE(0x4c);
  return { format: 'vdi', virtualSize: u64le(head, 0x170), problems: type === 4 ? ['the VDI is a differencing image with a parent'] : [] };
}

/** The largest byte count a JavaScript number holds exactly. */
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/**
 * A ploop (Parallels/Virtuozzo) image: a 64-byte header, "WithoutFreeSpace" (v1: a 32-bit sector count) or
 * "WithouFreSpacExt" (64-bit), header version 2, the disk size in 512-byte sectors at offset 36; as qemu reads it.
 */
function ploop(head: Buffer): Match | undefined {
  const v1 = ascii(head, 0, 'WithoutFreeSpace');
  if (!v1 && !ascii(head, 0, 'WithouFreSpacExt')) return undefined;
  if (head.length < 64) return { format: 'ploop', virtualSize: null, problems: ['the ploop header is truncated'] };
  const version = head.readUInt32LE(16);
  if (version !== 2) return { format: 'ploop', virtualSize: null, problems: [`ploop header version ${version} is not supported`] };
  const sectors = v1 ? BigInt(head.readUInt32LE(36)) : head.readBigUInt64LE(36);
  if (sectors * 512n > BigInt(MAX_EXACT)) return { format: 'ploop', virtualSize: null, problems: [`the ploop disk size of ${sectors} sectors is implausible`] };
  return { format: 'ploop', virtualSize: Number(sectors) * SECTOR, problems: [] };
}

/** The VHDX's verdict once its steps are done; unfinished steps mean the structures lie beyond the data. */
function vhdx(step: VhdxStep): Match {
  if ('done' in step) return { format: 'vhdx', ...step.done };
  return { format: 'vhdx', virtualSize: null, problems: ['the VHDX metadata lies beyond the data'] };
}

function detectHead(head: Buffer): Match[] {
  const matches = [qcow2(head), vmdk(head), vhdFooter(head), iso(head), vdi(head), ploop(head)].filter((m): m is Match => m !== undefined);
  if (ascii(head, 0, 'vhdxfile')) matches.push({ format: 'vhdx', virtualSize: null, problems: [] });
  return matches;
}

/** Inspects a complete image held in memory (tests, small data); streams use createFormatInspector. */
export function inspectBytes(data: Buffer): Inspection {
  const inspector = createFormatInspector();
  inspector.write(data);
  return inspector.finish();
}

export interface FormatInspector {
  /** Feeds the next chunk; keeps at most HEAD_BYTES + 64 KiB + 512 bytes, whatever the image size. */
  write(chunk: Buffer): void;
  /**
   * Whether everything the verdict reads was seen (the head, and a VHDX's metadata), so a verdict from finish() can
   * only change through a fixed VHD footer.
   */
  readonly settled: boolean;
  /** The verdict once all data was written. */
  finish(): Inspection;
}

/** Bytes at a fixed offset of the stream, collected as they pass. */
interface Capture { start: number; length: number; parts: Buffer[]; got: number }

/** Follows a VHDX's steps through the head and the captures it needs further on. */
function advanceVhdx(step: VhdxStep, head: Buffer): { step: VhdxStep; capture?: Capture } {
  while ('need' in step) {
    const { start, length } = step.need;
    if (start + length > head.length) return { step, capture: { start, length, parts: [], got: 0 } };
    step = step.then(head.subarray(start, start + length));
  }
  return { step };
}

/** A streaming inspector: memory stays bounded by HEAD_BYTES (plus a VHDX's metadata table) whatever the image size. */
export function createFormatInspector(): FormatInspector {
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let tail = Buffer.alloc(0);
  let total = 0;
  // A VHDX's structures lie past the head: its steps start once the head is complete and capture bytes further on.
  let vhdxStep: VhdxStep | undefined;
  let capture: Capture | undefined;

  /** Takes what `chunk` (at stream offset `at`) holds of the current capture, following the steps it unlocks. */
  function feedCapture(chunk: Buffer, at: number): void {
    while (capture && vhdxStep && 'need' in vhdxStep) {
      const from = capture.start + capture.got;
      // Bytes already gone past (never the case for a well-formed VHDX) cannot be read any more.
      if (from < at) { vhdxStep = { done: { virtualSize: null, problems: ['the VHDX metadata lies before the structures that locate it'] } }; break; }
      if (from >= at + chunk.length) break;
      const part = chunk.subarray(from - at, Math.min(chunk.length, capture.start + capture.length - at));
      capture.parts.push(Buffer.from(part));
      capture.got += part.length;
      if (capture.got < capture.length) break;
      const next = advanceVhdx(vhdxStep.then(Buffer.concat(capture.parts)), Buffer.alloc(0));
      vhdxStep = next.step;
      capture = next.capture;
    }
  }

  return {
    write(chunk) {
      const at = total;
      total += chunk.length;
      if (headLength < HEAD_BYTES) {
        const part = chunk.subarray(0, HEAD_BYTES - headLength);
        headChunks.push(Buffer.from(part));
        headLength += part.length;
        if (headLength >= HEAD_BYTES && ascii(Buffer.concat(headChunks, 8), 0, 'vhdxfile')) {
          const head = Buffer.concat(headChunks);
          ({ step: vhdxStep, capture } = advanceVhdx(vhdxFromHead(head), head));
        }
      }
      if (capture) feedCapture(chunk, at);
      tail = chunk.length >= TAIL_BYTES ? Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES)) : Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
    },
    get settled() { return headLength >= HEAD_BYTES && (vhdxStep === undefined || 'done' in vhdxStep); },
    finish() {
      const head = Buffer.concat(headChunks);
      const matches = detectHead(head).map((m) => (m.format === 'vhdx' ? vhdx(vhdxStep ?? advanceVhdx(vhdxFromHead(head), head).step) : m));
      if (matches.length > 1) {
        const names = matches.map((m) => m.format).join(' and ');
        return { format: matches[0].format, virtualSize: null, problems: [`the data matches several disk formats (${names})`] };
      }
      if (matches.length === 1) return { ...matches[0] };
      const footer = total >= TAIL_BYTES ? vhdFooter(tail) : undefined;
      if (footer && footer.problems.length === 0 && footer.virtualSize !== null) return { ...footer, fromFooter: true };
      return { format: 'raw', virtualSize: total, problems: [] };
    },
  };
}

/** Disk formats whose data is plain sectors, so any data that is not another recognised format may be one. */
const RAW_LIKE = new Set(['raw', 'ami', 'ari', 'aki']);

/**
 * Why data inspected as `inspection` may not be stored as `diskFormat`, or undefined when it may. Refuses unsafe
 * features whatever the declared format, and any mismatch: a qcow2 (or VMDK, VHD…) uploaded as raw is refused.
 */
export function formatRefusal(diskFormat: string, inspection: Inspection): string | undefined {
  if (inspection.problems.length > 0) return `Image data is refused: ${inspection.problems.join('; ')}.`;
  const { format } = inspection;
  const ok = RAW_LIKE.has(diskFormat)
    ? format === 'raw' || format === 'iso' || (format === 'vhd' && inspection.fromFooter === true)
    : diskFormat === format || (diskFormat === 'vhd' && format === 'vhd');
  if (ok) return undefined;
  return `Image data is refused: its disk_format is ${diskFormat} but the data is ${format === 'raw' ? 'not recognisable as ' + diskFormat : format}.`;
}
