// The guest image's cache key: a hash of everything that decides its bytes, so a rebuild happens exactly when an
// input changed (a package version, a guest script, the builder's code) and never otherwise.
import { createHash } from 'node:crypto';
import type { DebianPackage } from './debian-packages.ts';

export interface CacheKeyInputs {
  /** The builder's own code, as files with their contents: a change to how the image is made is a new image. */
  builderFiles: readonly { path: string; data: Uint8Array }[];
  packages: readonly DebianPackage[];
  /** Guest-side files by their path in the guest, with their contents. */
  guestFiles: readonly { path: string; data: Uint8Array }[];
  modules: readonly string[];
  cmdline: string;
}

const fileDigests = (files: CacheKeyInputs['guestFiles']) =>
  [...files].map((f) => `${f.path}:${createHash('sha256').update(f.data).digest('hex')}`).sort();

/** 20 hex digits of SHA-256 over a canonical form of the inputs; the order of packages and files does not matter. */
export function cacheKey(inputs: CacheKeyInputs): string {
  const canonical = {
    builder: fileDigests(inputs.builderFiles),
    packages: [...inputs.packages].map((p) => `${p.name}=${p.version}:${p.sha256}`).sort(),
    files: fileDigests(inputs.guestFiles),
    modules: [...inputs.modules].sort(),
    cmdline: inputs.cmdline,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 20);
}
