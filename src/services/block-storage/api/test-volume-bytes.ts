// Test helpers for volume files of real bytes: write at an offset, and a digest of a file's content that skips
// all-zero chunks (their offsets and the length still count, so equal digests mean equal bytes). Hashing 1 GiB of
// mostly zeros costs seconds on a loaded machine; skipping the zeros keeps 1 GiB volumes cheap in tests.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK = 4 * 1024 * 1024;

export async function contentDigest(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const h = createHash('sha256');
    const buf = Buffer.alloc(CHUNK);
    const zero = Buffer.alloc(CHUNK);
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, size);
      if (bytesRead === 0) break;
      const data = buf.subarray(0, bytesRead);
      if (!data.equals(zero.subarray(0, bytesRead))) {
        const at = Buffer.alloc(8);
        at.writeBigUInt64BE(BigInt(size));
        h.update(at).update(data);
      }
      size += bytesRead;
    }
    return `${h.digest('hex')}/${size}`;
  } finally {
    await fh.close();
  }
}

export async function writeAt(path: string, data: Buffer, position: number): Promise<void> {
  const fh = await open(path, 'r+');
  try { await fh.write(data, 0, data.length, position); } finally { await fh.close(); }
}
