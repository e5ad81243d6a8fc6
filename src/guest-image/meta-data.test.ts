// The guest's meta_data.json reader (guest/meta-data.awk) under busybox awk, as the guest runs it: the hostname and
// every public key, and nothing from nested objects that happen to use the same names.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireServers } from '#lib/test-servers.ts';

function busyboxMissing(): string | undefined {
  try { execFileSync('busybox', ['true']); return undefined; } catch { /* below */ }
  if (requireServers) throw new Error('busybox is required (STRATUS_REQUIRE_SERVERS=1)');
  return 'busybox is not installed (Debian package busybox-static); set STRATUS_REQUIRE_SERVERS=1 to make this a failure';
}

describe('guest meta_data.json reader', { skip: busyboxMissing() }, () => {
  it('prints the hostname and each public key, unescaped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-meta-'));
    try {
      const doc = {
        uuid: 'd0c6',
        meta: { hostname: 'not-this-one' },
        public_keys: { work: 'ssh-ed25519 AAAAC3Nz work@host', 'old "rsa"': 'ssh-rsa AAAAB3 say \\"hi\\"' },
        keys: [{ name: 'work', type: 'ssh', data: 'ssh-ed25519 AAAAC3Nz work@host' }],
        hostname: 'vm-1.novalocal',
        launch_index: 0,
      };
      writeFileSync(join(dir, 'meta_data.json'), JSON.stringify(doc, null, 2));
      const out = execFileSync('busybox', ['awk', '-f', join(import.meta.dirname, 'guest', 'meta-data.awk'), join(dir, 'meta_data.json')], { encoding: 'utf8' });
      assert.deepEqual(out.trimEnd().split('\n'), [
        'key\tssh-ed25519 AAAAC3Nz work@host',
        'key\tssh-rsa AAAAB3 say \\"hi\\"',
        'hostname\tvm-1.novalocal',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
