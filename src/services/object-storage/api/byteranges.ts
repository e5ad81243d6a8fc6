// A multipart/byteranges body (several ranges of one object in a 206), streamed part by part; its length is known
// before the first byte, so it goes out with a Content-Length.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ByteRange } from '../domain/conditions.ts';

/**
 * The body for `ranges` of an object of `size` bytes. `openRange` streams one range; the first range's stream may be
 * opened by the caller beforehand (`first`), so that a failure to open it can still become an error response.
 */
export function multipartByteranges(opts: {
  contentType: string; size: number; ranges: ByteRange[]; openRange: (r: ByteRange) => Promise<Readable>; first?: Readable;
}): { boundary: string; length: number; body: Readable } {
  const { contentType, size, ranges } = opts;
  const boundary = randomBytes(16).toString('hex');
  const head = (r: ByteRange) => `--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`;
  const tail = `--${boundary}--`;
  const length = ranges.reduce((s, r) => s + Buffer.byteLength(head(r)) + (r.end - r.start + 1) + 2, 0) + tail.length;
  let pending = opts.first;
  async function* parts() {
    for (const [i, r] of ranges.entries()) {
      yield Buffer.from(head(r));
      const data = i === 0 && pending ? pending : await opts.openRange(r);
      pending = undefined;
      for await (const chunk of data) yield chunk as Buffer;
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(tail);
  }
  const body = Readable.from(parts(), { objectMode: false });
  // A first range opened up front and never read (the client went away) must not keep its file open.
  body.once('close', () => pending?.destroy());
  return { boundary, length, body };
}
