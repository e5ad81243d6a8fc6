// A streaming tar reader for archive extraction: entries one after another from a byte stream, each entry's data as
// its own stream, so memory stays bounded whatever the archive's size. Understands ustar (with its name prefix),
// GNU long names and pax extended headers (path, size, and the records Swift turns into metadata).
import { Readable } from 'node:stream';
import { BadRequest } from '#lib/errors.ts';

const BLOCK = 512;

export interface TarEntry {
  /** The member's path as archived, or undefined when it is not valid UTF-8. */
  name: string | undefined;
  kind: 'file' | 'directory' | 'other';
  size: number;
  /** pax records for this member (global ones included). */
  pax: Record<string, string>;
  /**
   * Exactly `size` bytes. Read it before asking for the next entry, or leave it: what is left unread is skipped.
   * It fails with 400 when the archive ends inside it.
   */
  body: Readable;
}

const invalid = (why: string) => new BadRequest(`Invalid Tar File: ${why}`);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads exact byte counts from a stream, holding at most one chunk beyond what was asked. */
class ByteReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private readonly source: AsyncIterator<Buffer>;
  private ended = false;

  constructor(source: AsyncIterable<Buffer>) { this.source = source[Symbol.asyncIterator](); }

  /** Makes at least `n` bytes available; false when the stream ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= n;
  }

  private take(n: number): Buffer {
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const head = this.chunks[0];
      if (head.length <= left) {
        out.push(head);
        this.chunks.shift();
        left -= head.length;
      } else {
        out.push(head.subarray(0, left));
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.buffered -= n;
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** Exactly `n` bytes, or undefined at the end of the stream (a partial read is an error). */
  async read(n: number): Promise<Buffer | undefined> {
    if (await this.fill(n)) return this.take(n);
    if (this.buffered === 0) return undefined;
    throw invalid('unexpected end of data');
  }

  /** Up to `n` bytes as they arrive; `onChunk` is told each chunk's size. */
  async *stream(n: number, onChunk: (size: number) => void): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!await this.fill(1)) throw invalid('unexpected end of data');
      const chunk = this.take(Math.min(left, this.chunks[0].length));
      left -= chunk.length;
      onChunk(chunk.length);
      yield chunk;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const chunk of this.stream(n, () => undefined)) void chunk;
  }
}

/** A NUL-terminated text field. */
const text = (b: Buffer): Buffer => {
  const end = b.indexOf(0);
  return end < 0 ? b : b.subarray(0, end);
};

/** An octal number field (or GNU base-256 for large values). */
function number(b: Buffer, field: string): number {
  if (b[0] & 0x80) {
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i];
    return v;
  }
  const s = text(b).toString('latin1').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw invalid(`invalid ${field} field`);
  return parseInt(s, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = number(header.subarray(148, 156), 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** pax records: `<length> <key>=<value>\n`, lengths counting the whole record. */
function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length) {
      if (data.subarray(at).every((b) => b === 0)) break;
      throw invalid('invalid pax header');
    }
    const record = data.subarray(space + 1, at + length - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw invalid('invalid pax header');
    out[record.subarray(0, eq).toString('utf8')] = record.subarray(eq + 1).toString('utf8');
    at += length;
  }
  return out;
}

const decodeName = (b: Buffer): string | undefined => {
  try { return utf8.decode(b); } catch { return undefined; }
};

/** A member's data, bounded by its size (pax and GNU long-name records are small, but not trusted to be). */
async function smallData(reader: ByteReader, size: number): Promise<Buffer> {
  if (size > 1024 * 1024) throw invalid('extended header too large');
  const data = size === 0 ? Buffer.alloc(0) : await reader.read(size);
  if (!data) throw invalid('unexpected end of data');
  await reader.skip((BLOCK - (size % BLOCK)) % BLOCK);
  return data;
}

/**
 * The archive's entries in order. Each entry's body must be finished (read to the end, or destroyed) before the next
 * entry is asked for; the reader then skips what was left of it. Fails with 400 on a malformed or truncated archive.
 */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source);
  const globals: Record<string, string> = {};
  let pax: Record<string, string> = {};
  let longName: Buffer | undefined;
  for (;;) {
    const header = await reader.read(BLOCK);
    if (!header || header.every((b) => b === 0)) return;
    if (!checksumOk(header)) throw invalid('bad checksum');
    const type = String.fromCharCode(header[156]);
    let size = number(header.subarray(124, 136), 'size');
    if (type === 'x' || type === 'g') {
      const records = paxRecords(await smallData(reader, size));
      if (type === 'g') Object.assign(globals, records);
      else pax = { ...pax, ...records };
      continue;
    }
    if (type === 'L') {
      longName = text(await smallData(reader, size));
      continue;
    }
    const records = { ...globals, ...pax };
    if (records.size !== undefined && /^\d+$/.test(records.size)) size = Number(records.size);
    const magic = header.subarray(257, 263).toString('latin1');
    const prefix = magic === 'ustar\0' ? text(header.subarray(345, 500)) : Buffer.alloc(0);
    const rawName = longName ?? (prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), text(header.subarray(0, 100))]) : text(header.subarray(0, 100)));
    const name = records.path ?? decodeName(rawName);
    pax = {};
    longName = undefined;
    // Hard links, symlinks, devices and FIFOs carry no data of their own; directories none either.
    const kind = type === '0' || type === '\0' || type === '7' ? 'file' : type === '5' ? 'directory' : 'other';
    let left = size;
    let started = false;
    let finished: Promise<void> = Promise.resolve();
    const body = Readable.from((async function* () {
      started = true;
      let done!: () => void;
      finished = new Promise((resolve) => { done = resolve; });
      try {
        yield* reader.stream(size, (n) => { left -= n; });
      } finally {
        done();
      }
    })(), { objectMode: false, highWaterMark: 64 * 1024 });
    yield { name, kind, size, pax: records, body };
    if (started) {
      if (!body.readableEnded) body.destroy();
      await finished;
    } else {
      body.destroy();
    }
    await reader.skip(left + ((BLOCK - (size % BLOCK)) % BLOCK));
  }
}
