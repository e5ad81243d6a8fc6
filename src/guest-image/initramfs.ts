// Assembles the guest's whole root file system (busybox, dropbear with its libraries, kernel modules, the guest
// scripts) from unpacked Debian packages and writes it as a gzipped initramfs: the guest runs entirely from RAM.
import { readFileSync, readlinkSync, lstatSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { writeCpio } from './cpio.ts';
import type { CpioEntry } from './cpio.ts';
import { neededLibraries } from './elf.ts';
import type { ModuleSet } from './kernel-modules.ts';

const GUEST_DIR = join(import.meta.dirname, 'guest');
const LIB_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'];

/** The guest-side files shipped in this folder (the cache key hashes them): guest path → source file, mode. */
export const GUEST_FILES: readonly { path: string; source: string; mode: number }[] = [
  { path: 'etc/init.d/rcS', source: 'guest-init.sh', mode: 0o755 },
  { path: 'etc/inittab', source: 'inittab', mode: 0o644 },
  { path: 'etc/udhcpc.sh', source: 'udhcpc.sh', mode: 0o755 },
  { path: 'etc/disk-events.sh', source: 'disk-events.sh', mode: 0o755 },
  { path: 'etc/acpi/PWRF/00000080', source: 'power-button.sh', mode: 0o755 },
  { path: 'etc/meta-data.awk', source: 'meta-data.awk', mode: 0o644 },
].map((f) => ({ ...f, source: join(GUEST_DIR, f.source) }));

const ACCOUNTS: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
  'etc/shadow': 'root:*:19000:0:99999:7:::\n',
  'etc/group': 'root:x:0:\ntty:x:5:\n',
  'etc/shells': '/bin/sh\n',
};

/** Reads `path` inside an unpacked package tree, following symlinks (absolute ones too) without leaving the tree. */
export function readInTree(root: string, path: string): Buffer {
  let p = path.replace(/^\/+/, '');
  for (let hops = 0; hops < 16; hops++) {
    const full = join(root, p);
    if (!lstatSync(full).isSymbolicLink()) return readFileSync(full);
    const target = readlinkSync(full);
    p = target.startsWith('/') ? target.slice(1) : posix.join(posix.dirname(p), target);
    if (p.startsWith('..')) throw new Error(`${path} points outside the package tree`);
  }
  throw new Error(`${path}: too many symlinks`);
}

function findLibrary(root: string, soname: string): Buffer {
  for (const dir of LIB_DIRS) {
    try { return readInTree(root, `${dir}/${soname}`); } catch { /* try the next folder */ }
  }
  throw new Error(`no package in the image provides ${soname}`);
}

/** The shared libraries `programs` need, transitively, as soname → contents. */
function libraryClosure(root: string, programs: Buffer[]): Map<string, Buffer> {
  const libs = new Map<string, Buffer>();
  const pending = programs.flatMap((p) => neededLibraries(p));
  while (pending.length) {
    const soname = pending.pop()!;
    if (libs.has(soname)) continue;
    const data = findLibrary(root, soname);
    libs.set(soname, data);
    pending.push(...neededLibraries(data));
  }
  return libs;
}

export interface InitramfsInputs {
  /** All packages (busybox-static, dropbear-bin and its libraries) unpacked into one tree. */
  packagesRoot: string;
  kernelVersion: string;
  modules: ModuleSet;
  moduleNames: readonly string[];
}

/**
 * The gzipped newc archive. Deterministic: the same inputs give the same bytes. Compresses off the main thread,
 * because `stratus up` builds the image while the cloud serves.
 */
export async function buildInitramfs(inputs: InitramfsInputs): Promise<Buffer> {
  const files = new Map<string, CpioEntry>();
  const add = (e: CpioEntry) => files.set(e.path, e);
  const file = (path: string, data: Uint8Array, mode = 0o644) => add({ kind: 'file', path, data, mode });
  for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'run', 'mnt', 'etc/dropbear', 'var/log', 'lib64']) {
    add({ kind: 'dir', path: dir });
  }
  add({ kind: 'dir', path: 'tmp', mode: 0o1777 });
  add({ kind: 'dir', path: 'root', mode: 0o700 });
  // The kernel opens /dev/console for init before anything mounts devtmpfs.
  add({ kind: 'char', path: 'dev/console', major: 5, minor: 1 });

  const busybox = readInTree(inputs.packagesRoot, 'bin/busybox');
  if (neededLibraries(busybox).length) throw new Error('bin/busybox is dynamically linked: the image needs busybox-static');
  file('bin/busybox', busybox, 0o755);
  add({ kind: 'symlink', path: 'bin/sh', target: 'busybox' });
  add({ kind: 'symlink', path: 'init', target: 'bin/busybox' });

  const dropbear = readInTree(inputs.packagesRoot, 'usr/sbin/dropbear');
  file('usr/sbin/dropbear', dropbear, 0o755);
  for (const [soname, data] of libraryClosure(inputs.packagesRoot, [dropbear])) file(`lib/x86_64-linux-gnu/${soname}`, data, 0o755);
  add({ kind: 'symlink', path: 'lib64/ld-linux-x86-64.so.2', target: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' });

  const moduleDir = `lib/modules/${inputs.kernelVersion}`;
  for (const m of inputs.modules.files) file(`${moduleDir}/${m.path}`, m.data);
  file(`${moduleDir}/modules.dep`, Buffer.from(inputs.modules.modulesDep));
  file('etc/guest-modules', Buffer.from(`${inputs.moduleNames.join(' ')}\n`));

  for (const f of GUEST_FILES) file(f.path, readFileSync(f.source), f.mode);
  for (const [path, text] of Object.entries(ACCOUNTS)) file(path, Buffer.from(text), path === 'etc/shadow' ? 0o600 : 0o644);
  file('etc/os-release', Buffer.from('NAME="Stratus guest"\nID=stratus-guest\nPRETTY_NAME="Stratus cirros-like test guest"\n'));

  // Every parent folder exists, and sorted paths put each folder before what it holds.
  for (const path of [...files.keys()]) {
    for (let d = dirname(path); d !== '.'; d = dirname(d)) if (!files.has(d)) add({ kind: 'dir', path: d });
  }
  const entries = [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return promisify(gzip)(writeCpio(entries), { level: 9 });
}
