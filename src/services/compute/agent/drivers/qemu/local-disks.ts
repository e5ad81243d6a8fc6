// The flavor's local disks beside the root disk (or those block_device_mapping_v2 asked for instead), formatted as
// Nova's libvirt driver leaves them: the ephemeral disk ext4 (or the guest_format asked for) labelled `ephemeral0` (what cloud-init mounts on /mnt), the swap disk made by mkswap. Each is formatted as a
// sparse raw file (mkfs cannot write into a qcow2 without qemu-nbd and root), then converted to qcow2 and the raw
// file removed; the qcow2 appears only once complete.
import { execFile } from 'node:child_process';
import { open, rename, rm } from 'node:fs/promises';
import type { Logger } from '#lib/log.ts';
import type { DiskTool } from './disks.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** Debian keeps mkfs and mkswap in /usr/sbin, which a non-root PATH may lack. */
const SBIN_PATH = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`;

export interface LocalDiskOptions {
  disks: DiskTool;
  log: Logger;
}

function tool(log: Logger, argv: string[]): Promise<void> {
  log.debug({ argv }, 'format local disk');
  return new Promise((done, fail) => {
    execFile(argv[0], argv.slice(1), { timeout: 120_000, env: { ...process.env, PATH: SBIN_PATH } }, (err, _stdout, stderr) => {
      if (err) fail(new Error(`${argv[0]} failed: ${String(stderr).trim() || err.message}`));
      else done();
    });
  });
}

/** A sparse raw file of `bytes`, formatted by `format`, converted into the qcow2 at `path`. Cleans up on failure. */
async function formattedDisk(o: LocalDiskOptions, path: string, bytes: number, format: (raw: string) => string[]): Promise<void> {
  const raw = `${path}.raw`;
  try {
    const fh = await open(raw, 'w');
    try { await fh.truncate(bytes); } finally { await fh.close(); }
    await tool(o.log, format(raw));
    await o.disks.rawToQcow2(raw, `${path}.part`);
    await rename(`${path}.part`, path);
  } finally {
    await rm(raw, { force: true });
    await rm(`${path}.part`, { force: true });
  }
}

/** File systems an ephemeral disk may have (a block_device_mapping_v2 guest_format); ext4 by default. */
const EPHEMERAL_FS = new Set(['ext2', 'ext3', 'ext4']);

/** The ephemeral disk: `fs` (default ext4) labelled ephemeral0, `gb` GiB. */
export function createEphemeralDisk(o: LocalDiskOptions, path: string, gb: number, fs = 'ext4'): Promise<void> {
  if (!EPHEMERAL_FS.has(fs)) return Promise.reject(new Error(`cannot make an ephemeral disk with file system ${fs} (${[...EPHEMERAL_FS].join(', ')})`));
  // Lazy inode table (and for ext3/ext4 journal) initialisation keeps mkfs quick on a sparse file; the guest finishes it.
  const lazy = fs === 'ext2' ? 'lazy_itable_init=1' : 'lazy_itable_init=1,lazy_journal_init=1';
  return formattedDisk(o, path, gb * GiB, (raw) => [`mkfs.${fs}`, '-q', '-F', '-L', 'ephemeral0', '-E', lazy, raw]);
}

/** The swap disk: `mb` MiB made by mkswap. */
export function createSwapDisk(o: LocalDiskOptions, path: string, mb: number): Promise<void> {
  return formattedDisk(o, path, mb * MiB, (raw) => ['mkswap', raw]);
}
