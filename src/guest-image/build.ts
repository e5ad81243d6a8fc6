// ensureGuestImage: the `cirros-like` test image, built once per set of inputs from Debian packages and cached, so
// `stratus up` and `npm run image:build` get it instantly after the first time.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { Logger } from '#lib/log.ts';
import { cacheKey } from './cache-key.ts';
import { dependencyClosure, downloadPackages, extractPackage, resolveMetapackage, resolvePackages } from './debian-packages.ts';
import { writeBootDisk } from './disk.ts';
import { createCommandRunner } from './host-command.ts';
import type { RunCommand } from './host-command.ts';
import { buildInitramfs, GUEST_FILES } from './initramfs.ts';
import { collectModules, GUEST_MODULES } from './kernel-modules.ts';

/** The builder's code: part of the cache key, so changing how the image is made rebuilds it. */
const BUILDER_FILES = ['build.ts', 'cache-key.ts', 'cpio.ts', 'debian-packages.ts', 'disk.ts', 'elf.ts', 'initramfs.ts', 'kernel-modules.ts']
  .map((name) => join(import.meta.dirname, name));
export const IMAGE_NAME = 'cirros-like';
/** Debian's cloud kernel: LZ4-compressed and lean, it reaches init in half the time of linux-image-amd64 under TCG. */
export const KERNEL_METAPACKAGE = 'linux-image-cloud-amd64';
/**
 * Serial console for os-getConsoleOutput; quiet so the console shows the guest's own lines; SCSI scanning
 * synchronous so a config-drive CD-ROM exists once its module is loaded.
 */
export const KERNEL_CMDLINE = 'console=ttyS0 quiet scsi_mod.scan=sync';

export interface GuestImage {
  path: string;
  diskFormat: 'raw' | 'qcow2';
  containerFormat: 'bare';
  size: number;
  sha512: string;
  md5: string;
  /** Image properties to register it with. */
  properties: Record<string, string>;
}

/** `STRATUS_CACHE_DIR`, else `$XDG_CACHE_HOME/stratus`, else `~/.cache/stratus`. */
export function defaultCacheDir(): string {
  return process.env.STRATUS_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stratus');
}

async function fileHashes(path: string): Promise<{ sha512: string; md5: string }> {
  const sha512 = createHash('sha512');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path)) { sha512.update(chunk); md5.update(chunk); }
  return { sha512: sha512.digest('hex'), md5: md5.digest('hex') };
}

/**
 * Returns the cached image for the current inputs, building it first if needed. The build happens in a temporary
 * folder renamed into place, so a crash or a concurrent build never leaves a half image under the key; older builds
 * and unused package files are pruned after a successful build. Needs apt-get (Debian's package index), dpkg-deb,
 * mtools, syslinux and qemu-img; throws naming the missing step.
 */
export async function ensureGuestImage(opts: { cacheDir: string; log: Logger; run?: RunCommand }): Promise<GuestImage> {
  const { cacheDir, log } = opts;
  const run = opts.run ?? createCommandRunner(log);
  const kernelPackage = await resolveMetapackage(run, KERNEL_METAPACKAGE);
  const kernelVersion = kernelPackage.replace(/^linux-image-/, '');
  const names = [kernelPackage, 'busybox-static', ...await dependencyClosure(run, 'dropbear-bin')];
  const packages = await resolvePackages(run, names);
  const key = cacheKey({
    builderFiles: BUILDER_FILES.map((f) => ({ path: basename(f), data: readFileSync(f) })), packages, modules: GUEST_MODULES, cmdline: KERNEL_CMDLINE,
    guestFiles: GUEST_FILES.map((f) => ({ path: f.path, data: readFileSync(f.source) })),
  });
  const imagesDir = join(cacheDir, 'guest-image');
  const final = join(imagesDir, key);
  const manifest = join(final, 'image.json');
  if (existsSync(manifest)) {
    const image = JSON.parse(readFileSync(manifest, 'utf8')) as GuestImage;
    return { ...image, path: join(final, basename(image.path)) };
  }

  const started = performance.now();
  log.info({ key, kernel: kernelPackage }, 'guest image: building from Debian packages');
  mkdirSync(imagesDir, { recursive: true });
  const work = mkdtempSync(join(imagesDir, `.build-${key}-`));
  try {
    const debs = await downloadPackages(run, packages, join(cacheDir, 'debs'));
    const kernelRoot = join(work, 'kernel');
    const packagesRoot = join(work, 'packages');
    await extractPackage(run, debs[0], kernelRoot);
    for (const deb of debs.slice(1)) await extractPackage(run, deb, packagesRoot);
    const out = join(work, 'out');
    mkdirSync(out);
    const initramfs = join(work, 'initrd.gz');
    writeFileSync(initramfs, await buildInitramfs({
      packagesRoot, kernelVersion, moduleNames: GUEST_MODULES,
      modules: collectModules(kernelRoot, kernelVersion, GUEST_MODULES),
    }));
    const disk = await writeBootDisk(run, {
      kernel: join(kernelRoot, 'boot', `vmlinuz-${kernelVersion}`), initramfs, cmdline: KERNEL_CMDLINE, dir: out,
    });
    const path = join(final, `${IMAGE_NAME}.${disk.diskFormat}`);
    renameSync(disk.path, join(out, basename(path)));
    const image: GuestImage = {
      path, diskFormat: disk.diskFormat, containerFormat: 'bare', size: statSync(join(out, basename(path))).size,
      ...await fileHashes(join(out, basename(path))),
      properties: {
        os_type: 'linux', os_admin_user: 'root',
        stratus_guest_kernel: `${kernelPackage} ${packages[0].version}`, stratus_guest_build: key,
      },
    };
    writeFileSync(join(out, 'image.json'), `${JSON.stringify(image, null, 2)}\n`);
    try {
      renameSync(out, final);
    } catch (err) {
      // Another process finished the same build first: its copy is identical in content, use it.
      if (!existsSync(manifest)) throw err;
    }
    prune(imagesDir, key, join(cacheDir, 'debs'), new Set(packages.map((p) => p.filename)));
    log.info({ key, path, size: image.size, ms: Math.round(performance.now() - started) }, 'guest image: built');
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Removes builds other than `key` and package files no longer used (not ones being written by another build). */
function prune(imagesDir: string, key: string, debDir: string, keepDebs: Set<string>): void {
  for (const name of readdirSync(imagesDir)) {
    if (name !== key && !name.startsWith('.')) rmSync(join(imagesDir, name), { recursive: true, force: true });
  }
  for (const name of readdirSync(debDir)) {
    if (name.endsWith('.deb') && !keepDebs.has(name)) rmSync(join(debDir, name), { force: true });
  }
}
