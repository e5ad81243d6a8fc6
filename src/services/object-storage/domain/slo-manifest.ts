// Static Large Object manifests: the segment list a client PUTs (`path`, `etag`, `size_bytes`, `range`, or inline
// `data`), checked as Swift's slo middleware checks it before any segment is looked at; the manifest as stored
// (`name`, `bytes`, `hash`, `content_type`, `last_modified`, `range`, `sub_slo`), its ETag rule and the `format=raw`
// view that turns it back into what was PUT.
import { createHash } from 'node:crypto';
import { badRequest } from './errors.ts';

export const SLO_LIMITS = {
  maxManifestSegments: 1000,
  maxManifestSize: 8 * 1024 * 1024,
  /** Every segment but the last must hold at least this many bytes (Swift reports 1 and enforces 1). */
  minSegmentSize: 1,
  /** Nested manifests deeper than this are not followed on GET (Swift's max_slo_recursion_depth). */
  maxRecursionDepth: 10,
} as const;

/** A segment range as written: `M-N`, `M-` or `-N` (bytes of the segment object, inclusive). */
export interface RangeSpec { first?: number; last?: number; suffix?: number }

export type ManifestEntry =
  | { kind: 'object'; index: number; path: string; etag?: string; sizeBytes?: number; range?: RangeSpec }
  | { kind: 'data'; index: number; data: Buffer };

/** One segment of a stored manifest (the JSON body of the manifest object). */
export type StoredSegment =
  | { name: string; bytes: number; hash: string; content_type: string; last_modified: string; range?: string; sub_slo?: boolean }
  | { data: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseRangeSpec(text: string): RangeSpec | 'invalid' | 'multiple' {
  const parts = text.split(',');
  if (parts.length > 1) return parts.every((p) => parseRangeSpec(p) !== 'invalid') ? 'multiple' : 'invalid';
  const m = /^\s*(\d*)-(\d*)\s*$/.exec(text);
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  if (m[1] === '') return { suffix: Number(m[2]) };
  const first = Number(m[1]);
  if (m[2] === '') return { first };
  const last = Number(m[2]);
  return last < first ? 'invalid' : { first, last };
}

/** The inclusive byte span a range selects in an object of `length` bytes; undefined when it selects nothing. */
export function resolveRange(spec: RangeSpec, length: number): { start: number; end: number } | undefined {
  if (spec.suffix !== undefined) return spec.suffix > 0 && length > 0 ? { start: Math.max(0, length - spec.suffix), end: length - 1 } : undefined;
  const first = spec.first ?? 0;
  if (first >= length) return undefined;
  return { start: first, end: Math.min(spec.last ?? length - 1, length - 1) };
}

function sizeOf(v: unknown): number | undefined | 'invalid' {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number(v);
  return 'invalid';
}

function decodeData(v: unknown): Buffer | undefined {
  if (typeof v !== 'string') return undefined;
  const text = v.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64');
}

/**
 * Parses a manifest PUT body. `self` is the manifest's own `/<container>/<object>` (a manifest may not list itself).
 * Throws 400 listing every problem, one a line, as Swift does.
 */
export function parseManifest(body: string, self: string): ManifestEntry[] {
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { throw badRequest('Manifest must be valid JSON.\n'); }
  if (!Array.isArray(parsed)) throw badRequest('Manifest must be a list.\n');
  const errors: string[] = [];
  const entries: ManifestEntry[] = [];
  const last = parsed.length - 1;
  parsed.forEach((seg: unknown, index) => {
    const fail = (why: string) => { errors.push(`Index ${index}: ${why}`); };
    if (!isRecord(seg)) return fail('not a JSON object');
    const kind = 'data' in seg ? 'data' : 'path' in seg ? 'path' : undefined;
    if (!kind) return fail('expected keys to include one of "data" or "path"');
    const allowed = kind === 'data' ? ['data'] : ['path', 'etag', 'size_bytes', 'range'];
    const extra = Object.keys(seg).filter((k) => !allowed.includes(k)).sort();
    if (extra.length > 0) return fail(`extraneous keys ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
    if (kind === 'data') {
      const data = decodeData(seg.data);
      if (!data) return fail('data must be valid base64');
      if (data.length < 1) return fail('too small; each segment must be at least 1 byte.');
      return void entries.push({ kind: 'data', index, data });
    }
    const { path, etag } = seg;
    if (typeof path !== 'string') return fail('"path" must be a string');
    if (etag !== undefined && etag !== null && typeof etag !== 'string') return fail('"etag" must be a string or null (if provided)');
    if (!path.replace(/^\/+|\/+$/g, '').includes('/')) return fail('path does not refer to an object. Path must be of the form /container/object.');
    const sizeBytes = sizeOf(seg.size_bytes);
    if (sizeBytes === 'invalid') return fail('invalid size_bytes');
    if (sizeBytes !== undefined && sizeBytes < SLO_LIMITS.minSegmentSize && index !== last) return fail('too small; each segment must be at least 1 byte.');
    if (`/${path.replace(/^\/+/, '')}` === self) return fail('manifest must not include itself as a segment');
    let range: RangeSpec | undefined;
    if (seg.range !== undefined && seg.range !== null && seg.range !== '') {
      const r = typeof seg.range === 'string' ? parseRangeSpec(seg.range) : 'invalid';
      if (r === 'invalid') return fail('invalid range');
      if (r === 'multiple') return fail('multiple ranges (only one allowed)');
      if (sizeBytes !== undefined && !resolveRange(r, sizeBytes)) return fail('unsatisfiable range');
      range = r;
    }
    entries.push({
      kind: 'object', index, path, ...(typeof etag === 'string' ? { etag } : {}),
      ...(sizeBytes !== undefined ? { sizeBytes } : {}), ...(range ? { range } : {}),
    });
  });
  if (entries.length > 0 && entries.every((e) => e.kind === 'data')) errors.push('Inline data segments require at least one object-backed segment.');
  if (errors.length > 0) throw badRequest(errors.map((e) => `${e}\n`).join(''));
  return entries;
}

/** How many bytes a stored segment contributes to the large object. */
export function segmentLength(seg: StoredSegment): number {
  if ('data' in seg) return Buffer.from(seg.data, 'base64').length;
  if (seg.range) {
    const [start, end] = seg.range.split('-').map(Number);
    return end - start + 1;
  }
  return seg.bytes;
}

/** The large object's ETag: MD5 over the segments' ETags (`etag:range;` for a ranged one, MD5 of inline data). */
export function sloEtag(segments: StoredSegment[]): string {
  const hash = createHash('md5');
  for (const seg of segments) {
    if ('data' in seg) hash.update(createHash('md5').update(Buffer.from(seg.data, 'base64')).digest('hex'));
    else hash.update(seg.range ? `${seg.hash}:${seg.range};` : seg.hash);
  }
  return hash.digest('hex');
}

/** A stored manifest body; anything that is not a list of segments reads as no segments. */
export function parseStoredManifest(text: string): StoredSegment[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter(isRecord) as StoredSegment[] : [];
  } catch {
    return [];
  }
}

/** `?multipart-manifest=get&format=raw`: the stored manifest in the form it can be PUT again. */
export function rawManifest(segments: StoredSegment[]): string {
  const raw = segments.map((seg) => ('data' in seg ? { data: seg.data } : {
    etag: seg.hash, path: seg.name, ...(seg.range ? { range: seg.range } : {}), size_bytes: seg.bytes,
  }));
  return JSON.stringify(raw);
}
