// The newc writer: every record is readable back with the fields the kernel uses, 4-byte aligned, and ends with the
// trailer; bad paths are refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeCpio } from './cpio.ts';

interface Parsed { name: string; mode: number; size: number; rdevMajor: number; rdevMinor: number; data: Buffer; uid: number; mtime: number }

/** A reader independent of the writer: walks the archive by the format's rules. */
function readCpio(buf: Buffer): Parsed[] {
  const out: Parsed[] = [];
  let at = 0;
  for (;;) {
    assert.equal(at % 4, 0, 'each header starts 4-byte aligned');
    const h = buf.toString('ascii', at, at + 110);
    assert.equal(h.slice(0, 6), '070701');
    const field = (i: number) => parseInt(h.slice(6 + i * 8, 14 + i * 8), 16);
    const nameSize = field(11);
    const size = field(6);
    const name = buf.toString('utf8', at + 110, at + 110 + nameSize - 1);
    assert.equal(buf[at + 110 + nameSize - 1], 0, 'names are NUL-terminated');
    const dataAt = Math.ceil((at + 110 + nameSize) / 4) * 4;
    out.push({ name, mode: field(1), uid: field(2), mtime: field(5), size, rdevMajor: field(9), rdevMinor: field(10), data: buf.subarray(dataAt, dataAt + size) });
    at = Math.ceil((dataAt + size) / 4) * 4;
    if (name === 'TRAILER!!!') break;
  }
  assert.equal(at, buf.length, 'nothing after the trailer');
  return out;
}

describe('cpio newc writer', () => {
  it('writes directories, files, symlinks and device nodes the kernel can unpack', () => {
    const archive = writeCpio([
      { kind: 'dir', path: 'etc' },
      { kind: 'file', path: 'etc/hostname', data: Buffer.from('guest\n') },
      { kind: 'file', path: 'init.sh', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { kind: 'symlink', path: 'init', target: 'init.sh' },
      { kind: 'char', path: 'console', major: 5, minor: 1 },
      { kind: 'dir', path: 'tmp', mode: 0o1777 },
    ]);
    const [etc, hostname, script, link, consoleNode, tmp, trailer] = readCpio(archive);
    assert.deepEqual([etc.name, etc.mode], ['etc', 0o040755]);
    assert.deepEqual([hostname.name, hostname.mode, hostname.data.toString()], ['etc/hostname', 0o100644, 'guest\n']);
    assert.equal(script.mode, 0o100755);
    assert.deepEqual([link.mode, link.data.toString()], [0o120777, 'init.sh']);
    assert.deepEqual([consoleNode.mode, consoleNode.rdevMajor, consoleNode.rdevMinor, consoleNode.size], [0o020600, 5, 1, 0]);
    assert.equal(tmp.mode, 0o041777);
    assert.equal(trailer.name, 'TRAILER!!!');
    assert.ok([etc, hostname, link].every((e) => e.uid === 0 && e.mtime === 0), 'owned by root, timestamp 0');
  });

  it('gives the same bytes for the same entries', () => {
    const entries = [{ kind: 'file' as const, path: 'a', data: Buffer.from('x') }];
    assert.deepEqual(writeCpio(entries), writeCpio(entries));
  });

  it('refuses absolute paths and paths that climb out', () => {
    for (const path of ['/etc/passwd', '../x', 'a/../../b', '']) {
      assert.throws(() => writeCpio([{ kind: 'dir', path }]), /bad cpio path/);
    }
  });
});
