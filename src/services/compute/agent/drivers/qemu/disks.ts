// Disk files of guests through qemu-img (argv only, logged at debug, under CPU and memory limits as OpenStack runs
// it on untrusted images), and the byte-level check of a downloaded image before qemu-img ever reads it.
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { BadRequest } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';

export interface ImageInfo {
  format: string;
  virtualSize: number;
}

export interface DiskTool {
  /** What qemu-img says of an image read as `format`; refuses backing files and external data files. */
  info(path: string, format: string): Promise<ImageInfo>;
  /** A qcow2 overlay on `base` (of `baseFormat`), `sizeBytes` large (undefined: the base's size). */
  createOverlay(path: string, base: { path: string; format: string }, sizeBytes?: number): Promise<void>;
  /** An empty qcow2 disk. */
  createBlank(path: string, sizeBytes: number): Promise<void>;
  /** Grows a qcow2 disk to `sizeBytes` (qemu-img refuses to shrink one). */
  grow(path: string, sizeBytes: number): Promise<void>;
  /** Points a qcow2 overlay at another copy of the same base (header only: the data must be identical, e.g. by image id). */
  rebase(path: string, base: { path: string; format: string }): Promise<void>;
  /** Copies a qcow2 disk with its backing chain into one standalone qcow2 (`-U`: the running guest holds its lock). */
  flatten(source: string, dest: string): Promise<void>;
  /** Converts a raw file the driver made itself (a formatted ephemeral or swap disk) into a qcow2. */
  rawToQcow2(source: string, dest: string): Promise<void>;
}

/** The formats the driver boots from, as Image's disk_format names them. */
export const BOOTABLE_FORMATS = ['raw', 'qcow2'] as const;

const QCOW2_MAGIC = 0x514649fb;
const INCOMPAT_EXTERNAL_DATA_FILE = 1n << 2n;
/** Magic numbers of formats a file declared raw must not have: QEMU would be reading a container, not a disk. */
const CONTAINER_MAGICS: [string, Buffer, number][] = [
  ['qcow2', Buffer.from([0x51, 0x46, 0x49, 0xfb]), 0], ['qed', Buffer.from('QFI\xfe', 'latin1'), 0], ['vmdk', Buffer.from('KDMV'), 0],
  ['vhdx', Buffer.from('vhdxfile'), 0], ['vdi', Buffer.from([0x7f, 0x10, 0xda, 0xbe]), 0x40], ['vpc', Buffer.from('conectix'), 0],
];

/**
 * Throws a BadRequest unless the bytes at `path` are a plain image of `declared` format: the detected format must be
 * the declared one, and a qcow2 may not name a backing file or an external data file (either would make QEMU read a
 * host file of the image author's choosing).
 */
export async function checkImageBytes(path: string, declared: string | null): Promise<void> {
  if (!declared || !(BOOTABLE_FORMATS as readonly string[]).includes(declared)) {
    throw new BadRequest(`Image disk_format '${declared ?? 'none'}' cannot be booted by the qemu driver (it boots ${BOOTABLE_FORMATS.join(' and ')}).`);
  }
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const found = CONTAINER_MAGICS.find(([, magic, at]) => bytesRead >= at + magic.length && head.subarray(at, at + magic.length).equals(magic));
    if (declared === 'raw') {
      if (found) throw new BadRequest(`The image is declared raw but its data is ${found[0]}.`);
      return;
    }
    if (bytesRead < 104 || head.readUInt32BE(0) !== QCOW2_MAGIC) throw new BadRequest(`The image is declared qcow2 but its data is ${found ? found[0] : 'not'}${found ? '' : ' qcow2'}.`);
    if (head.readBigUInt64BE(8) !== 0n) throw new BadRequest('The image is a qcow2 with a backing file, which is refused.');
    if (head.readUInt32BE(4) >= 3 && (head.readBigUInt64BE(72) & INCOMPAT_EXTERNAL_DATA_FILE) !== 0n) throw new BadRequest('The image is a qcow2 with an external data file, which is refused.');
  } finally {
    await fh.close();
  }
}

export function createDiskTool(opts: { log: Logger; binary?: string }): DiskTool {
  const binary = opts.binary ?? 'qemu-img';
  // 30 s of CPU and 2 GiB of address space, as OpenStack limits qemu-img on images users uploaded.
  const run = (args: string[], limited = false) => {
    const argv = limited ? ['prlimit', '--cpu=30', '--as=2147483648', binary, ...args] : [binary, ...args];
    opts.log.debug({ argv }, 'qemu-img');
    return new Promise<string>((done, fail) => {
      execFile(argv[0], argv.slice(1), { timeout: 600_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) fail(new Error(`qemu-img ${args[0]} failed: ${String(stderr).trim() || err.message}`));
        else done(String(stdout));
      });
    });
  };
  return {
    async info(path, format) {
      const out = JSON.parse(await run(['info', '-f', format, '--output=json', path], true)) as Record<string, unknown>;
      const specific = (out['format-specific'] as { data?: Record<string, unknown> } | undefined)?.data ?? {};
      if (out.format !== format) throw new BadRequest(`The image's data is ${String(out.format)}, not its declared ${format}.`);
      if (out['backing-filename'] || out['full-backing-filename']) throw new BadRequest('The image has a backing file, which is refused.');
      if (specific['data-file']) throw new BadRequest('The image has an external data file, which is refused.');
      const virtualSize = Number(out['virtual-size']);
      if (!Number.isFinite(virtualSize) || virtualSize <= 0) throw new BadRequest('qemu-img reports no virtual size for the image.');
      return { format, virtualSize };
    },
    async createOverlay(path, base, sizeBytes) {
      await run(['create', '-q', '-f', 'qcow2', '-F', base.format, '-b', base.path, path, ...(sizeBytes ? [String(sizeBytes)] : [])]);
    },
    async createBlank(path, sizeBytes) {
      await run(['create', '-q', '-f', 'qcow2', path, String(sizeBytes)]);
    },
    async grow(path, sizeBytes) {
      await run(['resize', '-q', '-f', 'qcow2', path, String(sizeBytes)]);
    },
    async rebase(path, base) {
      await run(['rebase', '-u', '-f', 'qcow2', '-F', base.format, '-b', base.path, path]);
    },
    async flatten(source, dest) {
      await run(['convert', '-U', '-f', 'qcow2', '-O', 'qcow2', source, dest]);
    },
    async rawToQcow2(source, dest) {
      await run(['convert', '-f', 'raw', '-O', 'qcow2', source, dest]);
    },
  };
}
