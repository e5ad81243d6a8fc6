// The cache key changes exactly when an input that decides the image's bytes changes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cacheKey } from './cache-key.ts';
import type { CacheKeyInputs } from './cache-key.ts';

const base: CacheKeyInputs = {
  builderFiles: [{ path: 'build.ts', data: Buffer.from('v1') }],
  packages: [
    { name: 'busybox-static', version: '1:1.35.0-4', filename: 'b.deb', sha256: 'a'.repeat(64) },
    { name: 'dropbear-bin', version: '2022.83-1', filename: 'd.deb', sha256: 'b'.repeat(64) },
  ],
  guestFiles: [{ path: 'etc/init.d/rcS', data: Buffer.from('#!/bin/sh\n') }, { path: 'etc/inittab', data: Buffer.from('::sysinit\n') }],
  modules: ['virtio_net', 'isofs'],
  cmdline: 'console=ttyS0',
};

describe('guest image cache key', () => {
  it('is stable and ignores the order of packages, files and modules', () => {
    const shuffled = { ...base, packages: [...base.packages].reverse(), guestFiles: [...base.guestFiles].reverse(), modules: [...base.modules].reverse() };
    assert.match(cacheKey(base), /^[0-9a-f]{20}$/);
    assert.equal(cacheKey(shuffled), cacheKey(base));
  });

  it('changes with a package version, a guest script, the builder, the modules or the command line', () => {
    const variants: CacheKeyInputs[] = [
      { ...base, packages: [{ ...base.packages[0], version: '1:1.35.0-5' }, base.packages[1]] },
      { ...base, guestFiles: [{ path: 'etc/init.d/rcS', data: Buffer.from('#!/bin/sh\necho\n') }, base.guestFiles[1]] },
      { ...base, builderFiles: [{ path: 'build.ts', data: Buffer.from('v2') }] },
      { ...base, modules: [...base.modules, 'button'] },
      { ...base, cmdline: 'console=ttyS0 quiet' },
    ];
    const keys = new Set([cacheKey(base), ...variants.map(cacheKey)]);
    assert.equal(keys.size, variants.length + 1);
  });
});
