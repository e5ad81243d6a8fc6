// Reading a Static Large Object: the manifest's segments (nested manifests followed up to Swift's depth limit) laid end
// to end, each checked against the ETag and size the manifest recorded; and the manifest itself for
// `?multipart-manifest=get` (as stored, or with `format=raw` as it was PUT).
import { SegmentError } from '../domain/errors.ts';
import { overlap } from '../domain/byte-spans.ts';
import { SLO_LIMITS, parseStoredManifest, segmentLength } from '../domain/slo-manifest.ts';
import type { StoredSegment } from '../domain/slo-manifest.ts';
import type { LargeObjectSummary, ObjectMetadata } from '../rpc/object-server.ts';
import type { ProxyDeps } from './deps.ts';
import type { ObjectPath } from './replicas.ts';
import { assemble, segmentMetadata } from './segment-reader.ts';
import type { LargeObjectView, SegmentContext, SegmentPiece } from './segment-reader.ts';

/** The stored manifest's text (at most a few MiB: manifests are limited in size when PUT). */
export async function readManifestText(deps: ProxyDeps, path: ObjectPath, m: ObjectMetadata): Promise<string> {
  const { data } = await deps.replicas.open(path, { verifyMaxBytes: deps.settings.verifyOnReadMaxBytes, wanted: m });
  const chunks: Buffer[] = [];
  for await (const chunk of data) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `/<container>/<object>` of a stored segment, in the manifest's account. */
export function segmentPath(account: string, name: string): ObjectPath {
  const trimmed = name.replace(/^\/+/, '');
  const at = trimmed.indexOf('/');
  return { account, container: trimmed.slice(0, at), object: trimmed.slice(at + 1) };
}

async function subManifest(ctx: SegmentContext, seg: Extract<StoredSegment, { name: string }>): Promise<StoredSegment[]> {
  const path = segmentPath(ctx.manifest.account, seg.name);
  const m = await segmentMetadata(ctx, path);
  if (m.slo?.etag !== seg.hash) throw new SegmentError(`Object segment no longer valid: ${seg.name} is not the large object the manifest recorded.`);
  return parseStoredManifest(await readManifestText(ctx.deps, path, m));
}

/** The pieces that bytes first..last of the segments are made of, expanding nested manifests as they are reached. */
async function* sloPieces(ctx: SegmentContext, segments: StoredSegment[], span: { first: number; last: number }, depth: number): AsyncGenerator<SegmentPiece> {
  let offset = 0;
  for (const seg of segments) {
    const length = segmentLength(seg);
    const o = overlap(offset, length, span.first, span.last);
    offset += length;
    if (o.kind === 'before') continue;
    if (o.kind === 'after') return;
    if ('data' in seg) {
      yield { kind: 'data', data: Buffer.from(seg.data, 'base64'), start: o.start, end: o.end };
      continue;
    }
    const base = seg.range ? Number(seg.range.split('-')[0]) : 0;
    if (seg.sub_slo) {
      if (depth >= SLO_LIMITS.maxRecursionDepth) throw new SegmentError(`While processing manifest /${ctx.manifest.container}/${ctx.manifest.object}, max recursion depth was exceeded`);
      yield* sloPieces(ctx, await subManifest(ctx, seg), { first: base + o.start, last: base + o.end }, depth + 1);
    } else {
      yield { kind: 'object', path: segmentPath(ctx.manifest.account, seg.name), start: base + o.start, end: base + o.end, etag: seg.hash, size: seg.bytes };
    }
  }
}

/** The large object an SLO manifest describes; the manifest body is read only when bytes are. */
export function sloView(ctx: SegmentContext, m: ObjectMetadata & { slo: LargeObjectSummary }): LargeObjectView {
  const { slo } = m;
  let segments: Promise<StoredSegment[]> | undefined;
  return {
    headers: { etag: `"${slo.etag}"`, 'x-manifest-etag': m.etag, 'x-static-large-object': 'True' },
    etag: slo.etag, size: slo.size, multipleRanges: true,
    read(range) {
      segments ??= readManifestText(ctx.deps, ctx.manifest, m).then(parseStoredManifest);
      return segments.then((list) => assemble(ctx, sloPieces(ctx, list, { first: range?.start ?? 0, last: range?.end ?? slo.size - 1 }, 1)));
    },
  };
}
