// HTTP range and precondition rules for object reads (RFC 9110), as Swift's object server applies them.
import { notModified, preconditionFailed, rangeNotSatisfiable } from './errors.ts';

/** An inclusive byte range of an object. */
export interface ByteRange { start: number; end: number }

/**
 * The ranges of a `Range: bytes=…` header over an object of `size` bytes. Undefined when the header is absent or not
 * understood (the whole object is sent, as HTTP allows); 416 when no range overlaps the object.
 */
export function parseRanges(header: string | undefined, size: number): ByteRange[] | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return undefined;
  const ranges: ByteRange[] = [];
  for (const part of m[1].split(',')) {
    const r = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(part);
    if (!r || (r[1] === '' && r[2] === '')) return undefined;
    if (r[1] !== '' && r[2] !== '' && Number(r[2]) < Number(r[1])) return undefined;
    if (r[1] === '') {
      const suffix = Number(r[2]);
      if (suffix > 0 && size > 0) ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
    } else {
      const start = Number(r[1]);
      if (start < size) ranges.push({ start, end: r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1) });
    }
  }
  if (ranges.length === 0) throw rangeNotSatisfiable(size);
  return ranges;
}

const tags = (header: string) => header.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1')).filter(Boolean);
const httpDate = (header: string | undefined): number | undefined => {
  if (!header) return undefined;
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
};

export interface ConditionalHeaders {
  'if-match'?: string;
  'if-none-match'?: string;
  'if-modified-since'?: string;
  'if-unmodified-since'?: string;
}

/**
 * Throws 412 or 304 when the request's preconditions say so, for an object with `etag` last modified at
 * `lastModified` (whole seconds). `exists` is false for a missing object, where only If-Match can fail.
 */
export function checkPreconditions(h: ConditionalHeaders, o: { etag: string; lastModified: number } | undefined, readOnly: boolean): void {
  if (h['if-match'] !== undefined) {
    const want = tags(h['if-match']);
    if (!o || !(want.includes('*') || want.includes(o.etag))) throw preconditionFailed();
  } else if (o) {
    const since = httpDate(h['if-unmodified-since']);
    if (since !== undefined && o.lastModified > since) throw preconditionFailed();
  }
  if (!o) return;
  if (h['if-none-match'] !== undefined) {
    const want = tags(h['if-none-match']);
    if (want.includes('*') || want.includes(o.etag)) throw readOnly ? notModified() : preconditionFailed();
  } else if (readOnly) {
    const since = httpDate(h['if-modified-since']);
    if (since !== undefined && o.lastModified <= since) throw notModified();
  }
}
