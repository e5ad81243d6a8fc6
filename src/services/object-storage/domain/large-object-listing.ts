// How a Static Large Object manifest appears in its container's listing, as Swift records it: the row's bytes stay
// the manifest's own size (what the container and account stats count), while the content type carries
// `;swift_bytes=<large object size>` and the ETag `; slo_etag=<large object ETag>`, which listings turn back into
// the large object's size and a separate `slo_etag`.

/** An SLO's large object: its ETag and size. */
interface LargeObjectSummary { etag: string; size: number }

/** The ETag a listing row keeps for an object (with the SLO's ETag as a parameter). */
export const listingEtag = (etag: string, slo?: LargeObjectSummary): string => (slo ? `${etag}; slo_etag=${slo.etag}` : etag);

/** The content type a listing row keeps for an object (with the SLO's size as a parameter). */
export const listingContentType = (contentType: string, slo?: LargeObjectSummary): string => (slo ? `${contentType};swift_bytes=${slo.size}` : contentType);

const SWIFT_BYTES = /;\s*swift_bytes=(\d+)\s*$/;

/** Drops a trailing `swift_bytes` parameter from a client's content type: only the proxy may set it. */
export const cleanContentType = (contentType: string): string => contentType.replace(SWIFT_BYTES, '');

/** A listing row as clients see it: the large object's size, the plain content type and ETag, and `slo_etag`. */
export function listedObject(row: { etag: string; bytes: number; contentType: string }): { hash: string; bytes: number; contentType: string; sloEtag?: string } {
  // Most rows are plain objects: no parameters to parse (this runs once per row of a 10,000-row listing).
  if (!row.etag.includes(';') && !row.contentType.includes('swift_bytes')) return { hash: row.etag.trim(), bytes: row.bytes, contentType: row.contentType };
  const size = SWIFT_BYTES.exec(row.contentType);
  const [hash, ...params] = row.etag.split(';').map((p) => p.trim());
  const slo = params.find((p) => p.startsWith('slo_etag='))?.slice('slo_etag='.length);
  const rest = params.filter((p) => !p.startsWith('slo_etag='));
  return {
    hash: [hash, ...rest].join('; '), bytes: size ? Number(size[1]) : row.bytes, contentType: row.contentType.replace(SWIFT_BYTES, ''),
    ...(slo !== undefined ? { sloEtag: `"${slo}"` } : {}),
  };
}

/** The MD5 part of a listed ETag (what a DLO's ETag is computed from). */
export const plainEtag = (etag: string): string => etag.split(';')[0].trim().replace(/^"(.*)"$/, '$1');
