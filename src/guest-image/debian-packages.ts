// Fetches Debian packages with apt-get into a cache (verified against the archive's SHA-256) and unpacks them with
// dpkg-deb: the guest image is made of Debian's own binaries, never the build host's installed files.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunCommand } from './host-command.ts';

/** A package version as the archive lists it: what the image's cache key is made of. */
export interface DebianPackage { name: string; version: string; filename: string; sha256: string }

/** The package a metapackage (e.g. linux-image-cloud-amd64) points to: its first Depends for the candidate version. */
export async function resolveMetapackage(run: RunCommand, name: string): Promise<string> {
  const deps = await packageDepends(run, name);
  if (!deps[0]) throw new Error(`apt-cache knows no dependency of ${name}: is it available (apt-get update)?`);
  return deps[0];
}

/** The direct Depends of a package's candidate version (alternatives and virtual packages left out). */
export async function packageDepends(run: RunCommand, name: string): Promise<string[]> {
  const out = await run(['apt-cache', 'depends', '--important', '--no-pre-depends', name]);
  return [...out.matchAll(/^\s+Depends: ([a-z0-9][a-z0-9+.-]*)\s*$/gm)].map((m) => m[1]);
}

/** `name` and every package it depends on, recursively (Depends only): what its binaries may need at run time. */
export async function dependencyClosure(run: RunCommand, name: string): Promise<string[]> {
  const out = await run(['apt-cache', 'depends', '--recurse', '--important', '--no-pre-depends', name]);
  // Each package of the closure heads its own block on an unindented line; virtual ones are shown as <name>.
  return [...out.matchAll(/^([a-z0-9][a-z0-9+.-]*)$/gm)].map((m) => m[1]);
}

/** Candidate versions of `names` with the archive's file name and SHA-256, without downloading anything. */
export async function resolvePackages(run: RunCommand, names: readonly string[]): Promise<DebianPackage[]> {
  const out = await run(['apt-get', 'download', '--print-uris', ...names]);
  const found = new Map<string, DebianPackage>();
  for (const m of out.matchAll(/^'[^']+' (\S+\.deb) \d+ SHA256:([0-9a-f]{64})$/gm)) {
    const [name, version] = m[1].split('_');
    found.set(name, { name, version: decodeURIComponent(version), filename: m[1], sha256: m[2] });
  }
  const missing = names.filter((n) => !found.has(n));
  if (missing.length) throw new Error(`apt-get cannot download ${missing.join(', ')} (no SHA-256 listed): run apt-get update?`);
  return names.map((n) => found.get(n)!);
}

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Puts each package's .deb into `debDir` (kept between builds) and returns their paths in order. A file already there
 * with the right SHA-256 is reused; a download whose hash differs is refused and removed.
 */
export async function downloadPackages(run: RunCommand, pkgs: readonly DebianPackage[], debDir: string): Promise<string[]> {
  mkdirSync(debDir, { recursive: true });
  const wanted = pkgs.filter((p) => !(existsSync(join(debDir, p.filename)) && sha256Of(join(debDir, p.filename)) === p.sha256));
  if (wanted.length) {
    // A private download folder, so a half-written file never sits under a name a later build trusts.
    const tmp = mkdtempSync(join(debDir, '.download-'));
    try {
      await run(['apt-get', 'download', ...wanted.map((p) => `${p.name}=${p.version}`)], { cwd: tmp });
      for (const p of wanted) {
        const got = readdirSync(tmp).find((f) => f.startsWith(`${p.name}_`) && f.endsWith('.deb'));
        if (!got) throw new Error(`apt-get download did not produce ${p.filename}`);
        if (sha256Of(join(tmp, got)) !== p.sha256) throw new Error(`${got}: SHA-256 differs from the archive's index`);
        renameSync(join(tmp, got), join(debDir, p.filename));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return pkgs.map((p) => join(debDir, p.filename));
}

/** Unpacks a .deb's files under `dir` (created if missing), as dpkg would install them, without running scripts. */
export async function extractPackage(run: RunCommand, deb: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await run(['dpkg-deb', '-x', deb, dir]);
}
