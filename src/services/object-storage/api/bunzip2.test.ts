// The bzip2 decompressor: known streams decode byte for byte (several blocks, runs, concatenated streams, input in
// tiny pieces), corrupt and truncated data fail with Bzip2Error, and round trips with the bzip2 tool when it is there.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Bzip2Error, bunzip2 } from './bunzip2.ts';

/** 250,000 bytes compressed with `bzip2 -1`: three blocks. */
const PATTERN_BZ2 = Buffer.from('QlpoMTFBWSZTWYwuEQUAZVSJAH/gPgAwALGFMAACaqgBoAUqgAGnpUwVMsqiIzgoNIKDWCg2goN4KDiCg5goOoKDEFBigULruhYBUqegqVPgVKmAVKn5igrJMprIxS/++AB7YEgD/wHwAYAF2UUwAAJqqAGgBSpAAHJHpFhSFWSVFWeCLCpQawUG0FBvBQcQUHMFB1BQYgoMUCVOiL4FSp4CpU9BUF9VQhfmKCskyms3VyDYoAFuASAP/AfABAASBTAAAmqoAaB7KYVSGZSDSQozyUVrSQbUkG9JBxSQc0kHVJBikgxAoXUp9VCF5VCF7VCF9VCF+LuSKcKEhdpV62g=', 'base64');
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i % 1000 < 600 ? 97 + ((i * 7) % 5) : 48 + (i % 10))));

async function decode(data: Buffer, piece = 65536): Promise<Buffer> {
  async function* source() { for (let i = 0; i < data.length; i += piece) yield data.subarray(i, i + piece); }
  const out: Buffer[] = [];
  for await (const chunk of bunzip2(source())) out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}

const BZIP2 = '/usr/bin/bzip2';

describe('bunzip2', () => {
  it('decodes a three-block stream byte for byte, also when the input comes a few bytes at a time', async () => {
    assert.ok((await decode(PATTERN_BZ2)).equals(pattern(250_000)));
    assert.ok((await decode(PATTERN_BZ2, 3)).equals(pattern(250_000)));
  });

  it('decodes concatenated streams one after the other', async () => {
    assert.ok((await decode(Buffer.concat([PATTERN_BZ2, PATTERN_BZ2]))).equals(Buffer.concat([pattern(250_000), pattern(250_000)])));
  });

  it('fails with Bzip2Error on data that is not bzip2, corrupt, or cut short', async () => {
    await assert.rejects(decode(Buffer.from('not bzip2 at all')), Bzip2Error);
    await assert.rejects(decode(Buffer.alloc(0)), Bzip2Error);
    for (const at of [20, 60, 120, 200]) {
      const corrupt = Buffer.from(PATTERN_BZ2);
      corrupt[at] ^= 0x10;
      await assert.rejects(decode(corrupt), Bzip2Error, `a flipped bit at byte ${at}`);
    }
    await assert.rejects(decode(PATTERN_BZ2.subarray(0, 150)), Bzip2Error);
    await assert.rejects(decode(PATTERN_BZ2.subarray(0, PATTERN_BZ2.length - 2)), Bzip2Error);
  });

  it('round-trips what the bzip2 tool compresses: random bytes, long runs, every block size', { skip: existsSync(BZIP2) ? undefined : `${BZIP2} is missing` }, async () => {
    const samples: [string, Buffer, number][] = [
      ['random', randomBytes(1_200_000), 9], ['runs', Buffer.concat([Buffer.alloc(70_000, 0x41), Buffer.from('bbbbbcccc'), Buffer.alloc(1_000_000, 0)]), 1],
      ['one byte', Buffer.from('x'), 9], ['empty', Buffer.alloc(0), 9],
    ];
    for (let level = 1; level <= 9; level += 4) samples.push([`text -${level}`, Buffer.from(Array.from({ length: 40_000 }, (_, i) => `row ${i};${i % 13}\n`).join('')), level]);
    for (const [name, data, level] of samples) {
      const z = execFileSync(BZIP2, [`-${level}`, '-c'], { input: data, maxBuffer: 64 * 1024 * 1024 });
      assert.ok((await decode(z, 4093)).equals(data), name);
    }
  });
});
