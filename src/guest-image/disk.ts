// Makes the guest's single BIOS-bootable disk without root or loop mounts: a FAT file system (mtools) holding the
// kernel, the initramfs and SYSLINUX, installed into the disk's boot sector, then qcow2-compressed if that is smaller.
import { closeSync, openSync, ftruncateSync, statSync, utimesSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunCommand } from './host-command.ts';

export interface BootDiskInputs {
  kernel: string;
  initramfs: string;
  /** The kernel command line. */
  cmdline: string;
  /** Folder to write into; its disk.raw / disk.qcow2 is the result. */
  dir: string;
}

export interface BootDisk { path: string; diskFormat: 'raw' | 'qcow2' }

const MIB = 1024 * 1024;
// A fixed volume serial and file times, so the same inputs give the same disk.
const VOLUME_SERIAL = '53545241';
const FILE_TIME = new Date('2000-01-01T00:00:00Z');

export function syslinuxConfig(cmdline: string): string {
  if (/[\r\n]/.test(cmdline)) throw new Error('the kernel command line must be one line');
  return ['DEFAULT guest', 'PROMPT 0', 'TIMEOUT 0', 'LABEL guest', '  KERNEL vmlinuz', '  INITRD initrd.gz', `  APPEND ${cmdline}`, ''].join('\n');
}

/** Writes the disk under `dir` (which the caller owns and removes on failure) and says which file and format won. */
export async function writeBootDisk(run: RunCommand, inputs: BootDiskInputs): Promise<BootDisk> {
  const raw = join(inputs.dir, 'disk.raw');
  const cfg = join(inputs.dir, 'syslinux.cfg');
  writeFileSync(cfg, syslinuxConfig(inputs.cmdline));
  // Room for the files, SYSLINUX and the FAT itself, in whole MiB.
  const payload = statSync(inputs.kernel).size + statSync(inputs.initramfs).size;
  const size = Math.ceil((payload * 1.05 + 2 * MIB) / MIB) * MIB;
  const fd = openSync(raw, 'w');
  try { ftruncateSync(fd, size); } finally { closeSync(fd); }
  // mtools checks geometry against the size of a floppy unless told not to (this disk is a whole hard disk), and
  // stamps the files SYSLINUX writes with SOURCE_DATE_EPOCH rather than the time of the build.
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1', SOURCE_DATE_EPOCH: String(FILE_TIME.getTime() / 1000) };
  await run(['mformat', '-i', raw, '-T', String(size / 512), '-h', '64', '-s', '32', '-N', VOLUME_SERIAL, '-v', 'STRATUS', '::'], { env });
  for (const f of [inputs.kernel, inputs.initramfs, cfg]) utimesSync(f, FILE_TIME, FILE_TIME);
  await run(['mcopy', '-m', '-i', raw, inputs.kernel, '::vmlinuz'], { env });
  await run(['mcopy', '-m', '-i', raw, inputs.initramfs, '::initrd.gz'], { env });
  await run(['mcopy', '-m', '-i', raw, cfg, '::syslinux.cfg'], { env });
  // The mtools flavour of the SYSLINUX installer: writes the boot sector and ldlinux.sys into the image file.
  await run(['syslinux', '--install', raw], { env });
  rmSync(cfg);

  const qcow2 = join(inputs.dir, 'disk.qcow2');
  await run(['qemu-img', 'convert', '-q', '-c', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  if (statSync(qcow2).size < statSync(raw).size) {
    rmSync(raw);
    return { path: qcow2, diskFormat: 'qcow2' };
  }
  rmSync(qcow2);
  return { path: raw, diskFormat: 'raw' };
}
