// Writes the kernel's initramfs format (cpio "newc") in memory, so the image is built without root: device nodes,
// owners and modes are whatever we say, not what the build user may create on disk.

/** One entry of the archive; paths are relative (no leading '/'), parents before children. */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function header(o: { ino: number; mode: number; nlink: number; size: number; rdevMajor: number; rdevMinor: number; nameSize: number }): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check.
  // uid/gid are root and mtime is 0 so the same inputs always give the same bytes.
  return '070701' + [o.ino, o.mode, 0, 0, o.nlink, 0, o.size, 0, 0, o.rdevMajor, o.rdevMinor, o.nameSize, 0].map(hex8).join('');
}

function record(chunks: Uint8Array[], h: string, name: string, data: Uint8Array): void {
  const nameBytes = Buffer.from(`${name}\0`);
  const head = Buffer.from(h, 'ascii');
  chunks.push(head, nameBytes, new Uint8Array(pad4(head.length + nameBytes.length)), data, new Uint8Array(pad4(data.length)));
}

/** The archive for `entries` in the given order, ending with the TRAILER!!! record. Pure and deterministic. */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const chunks: Uint8Array[] = [];
  let ino = 1;
  for (const e of entries) {
    if (e.path.startsWith('/') || e.path === '' || e.path.split('/').includes('..')) throw new Error(`bad cpio path: ${e.path}`);
    const base = { ino: ino++, nlink: 1, rdevMajor: 0, rdevMinor: 0, nameSize: Buffer.byteLength(e.path) + 1 };
    switch (e.kind) {
      case 'dir':
        record(chunks, header({ ...base, nlink: 2, mode: S_IFDIR | (e.mode ?? 0o755), size: 0 }), e.path, new Uint8Array(0));
        break;
      case 'file':
        record(chunks, header({ ...base, mode: S_IFREG | (e.mode ?? 0o644), size: e.data.length }), e.path, e.data);
        break;
      case 'symlink': {
        const target = Buffer.from(e.target);
        record(chunks, header({ ...base, mode: S_IFLNK | 0o777, size: target.length }), e.path, target);
        break;
      }
      case 'char':
        record(chunks, header({ ...base, mode: S_IFCHR | (e.mode ?? 0o600), size: 0, rdevMajor: e.major, rdevMinor: e.minor }), e.path, new Uint8Array(0));
        break;
    }
  }
  record(chunks, header({ ino: 0, mode: 0, nlink: 1, size: 0, rdevMajor: 0, rdevMinor: 0, nameSize: 11 }), 'TRAILER!!!', new Uint8Array(0));
  return Buffer.concat(chunks);
}
