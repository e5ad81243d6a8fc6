// Reads the two things the image build needs from ELF files without host tools: a kernel module's .modinfo (its
// dependencies) and a program's DT_NEEDED libraries, so both are found inside the Debian packages themselves.

interface Section { name: string; type: number; offset: number; size: number; link: number }

const SHT_DYNAMIC = 6;
const DT_NEEDED = 1;

function sections(buf: Buffer): Section[] {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('only 64-bit little-endian ELF files are supported');
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return {
      nameOffset: buf.readUInt32LE(at), type: buf.readUInt32LE(at + 4),
      offset: Number(buf.readBigUInt64LE(at + 0x18)), size: Number(buf.readBigUInt64LE(at + 0x20)), link: buf.readUInt32LE(at + 0x28),
    };
  });
  const names = raw[shstrndx];
  return raw.map((s) => ({ ...s, name: cString(buf, names.offset + s.nameOffset) }));
}

function cString(buf: Buffer, at: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('utf8', at, end < 0 ? buf.length : end);
}

/** The key=value strings of a kernel module's .modinfo section (e.g. depends=virtio,virtio_ring). */
export function moduleInfo(buf: Buffer): Map<string, string[]> {
  const s = sections(buf).find((x) => x.name === '.modinfo');
  if (!s) throw new Error('no .modinfo section: not a kernel module');
  const info = new Map<string, string[]>();
  for (const item of buf.toString('utf8', s.offset, s.offset + s.size).split('\0')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq);
    info.set(key, [...(info.get(key) ?? []), item.slice(eq + 1)]);
  }
  return info;
}

/** The sonames a dynamically linked program or library needs (its DT_NEEDED entries); [] for a static one. */
export function neededLibraries(buf: Buffer): string[] {
  const all = sections(buf);
  const dynamic = all.find((s) => s.type === SHT_DYNAMIC);
  if (!dynamic) return [];
  const strtab = all[dynamic.link];
  const needed: string[] = [];
  for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.size; at += 16) {
    const tag = buf.readBigInt64LE(at);
    if (tag === 0n) break;
    if (tag === BigInt(DT_NEEDED)) needed.push(cString(buf, strtab.offset + Number(buf.readBigUInt64LE(at + 8))));
  }
  return needed;
}
