// Where a byte range of a large object falls in one of its segments: segments are laid end to end, and a request
// for bytes first..last of the whole touches a part of some of them.

export type SpanOverlap = { kind: 'before' } | { kind: 'after' } | { kind: 'inside'; start: number; end: number };

/**
 * For a segment of `length` bytes starting at `offset` in the large object, which of its bytes (inclusive, relative to
 * the segment) the range first..last needs: none yet (`before`), none any more (`after`), or a span.
 */
export function overlap(offset: number, length: number, first: number, last: number): SpanOverlap {
  if (offset > last) return { kind: 'after' };
  if (length <= 0 || offset + length - 1 < first) return { kind: 'before' };
  return { kind: 'inside', start: Math.max(first - offset, 0), end: Math.min(last - offset, length - 1) };
}
