// Reading a Dynamic Large Object: the objects listed under the manifest's `<container>/<prefix>`, in listing order,
// read with the caller's rights. ETag and length come from the listing when one page holds it (Swift's rule);
// otherwise the object streams without them and ranges are not honoured.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { getContainer } from '../db/containers-repo.ts';
import { objectPage } from '../db/listings-repo.ts';
import type { ObjectListing } from '../db/listings-repo.ts';
import { overlap } from '../domain/byte-spans.ts';
import { parseObjectManifest } from '../domain/dlo-manifest.ts';
import { notFound } from '../domain/errors.ts';
import { plainEtag } from '../domain/large-object-listing.ts';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import { authorize } from './access.ts';
import { assemble } from './segment-reader.ts';
import type { LargeObjectView, SegmentContext, SegmentPiece } from './segment-reader.ts';
import { grantCovers } from './tempurl.ts';

async function* dloPieces(ctx: SegmentContext, opts: {
  container: string; firstPage: ObjectListing[]; nextPage: (marker: string) => Promise<ObjectListing[]>; limit: number; first: number; last: number;
}): AsyncGenerator<SegmentPiece> {
  let offset = 0;
  let page = opts.firstPage;
  for (;;) {
    for (const row of page) {
      const o = overlap(offset, row.bytes, opts.first, opts.last);
      offset += row.bytes;
      if (o.kind === 'before') continue;
      if (o.kind === 'after') return;
      yield { kind: 'object', path: { account: ctx.manifest.account, container: opts.container, object: row.name }, start: o.start, end: o.end, size: row.bytes };
    }
    if (page.length < opts.limit) return;
    page = await opts.nextPage(page[page.length - 1].name);
  }
}

/**
 * The large object a DLO manifest describes. Listing its segments takes the caller's listing rights on their
 * container (a missing container answers 404), as Swift's listing subrequest does.
 */
export async function dloView(ctx: SegmentContext, req: FastifyRequest, m: ObjectMetadata & { objectManifest: string }): Promise<LargeObjectView> {
  const { deps, manifest } = ctx;
  const { container, prefix } = parseObjectManifest(m.objectManifest);
  const c = await getContainer(deps.db, manifest.account, container);
  if (!grantCovers(req, 'object-read', manifest)) authorize(deps, req, 'container-list', manifest.account, c);
  if (!c) throw notFound();
  const limit = deps.settings.listingLimit;
  const page = (marker?: string) => objectPage(deps.db, c.id, { prefix, limit, reverse: false, ...(marker !== undefined ? { marker } : {}) });
  const firstPage = await page();
  const complete = firstPage.length < limit;
  const size = complete ? firstPage.reduce((s, row) => s + row.bytes, 0) : undefined;
  const etag = complete ? createHash('md5').update(firstPage.map((row) => plainEtag(row.etag)).join('')).digest('hex') : undefined;
  return {
    headers: { 'x-object-manifest': m.objectManifest, ...(etag !== undefined ? { etag: `"${etag}"` } : {}) },
    ...(etag !== undefined ? { etag } : {}), ...(size !== undefined ? { size } : {}), multipleRanges: false,
    read: (range) => assemble(ctx, dloPieces(ctx, { container, firstPage, nextPage: page, limit, first: range?.start ?? 0, last: range?.end ?? Infinity })),
  };
}
