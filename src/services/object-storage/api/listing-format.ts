// Listing requests and responses: query parameters (prefix, delimiter, marker, end_marker, limit, reverse, format)
// and the three formats Swift answers in — plain (names, one a line), JSON and XML.
import type { FastifyRequest } from 'fastify';
import { BadRequest, NotAcceptable, PreconditionFailed } from '#lib/errors.ts';
import type { ListingEntry, ListingQuery } from '../domain/listing.ts';
import type { ContainerListing, ObjectListing } from '../db/listings-repo.ts';
import { listedObject } from '../domain/large-object-listing.ts';
import { header } from './deps.ts';

export type ListingFormat = 'plain' | 'json' | 'xml';

const one = (v: unknown, name: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BadRequest(`Query parameter ${name} may be given once.`);
  if (v.includes('\0')) throw new BadRequest(`Query parameter ${name} contains a NUL character.`);
  return v;
};

export function listingQuery(req: FastifyRequest, maxLimit: number): ListingQuery {
  const q = req.query as Record<string, unknown>;
  const limitText = one(q.limit, 'limit');
  let limit = maxLimit;
  if (limitText !== undefined) {
    if (!/^\d+$/.test(limitText)) throw new BadRequest('Value of limit must be a positive integer');
    limit = Number(limitText);
    // Swift answers a limit over the maximum with 412.
    if (limit > maxLimit) throw new PreconditionFailed(`Maximum limit is ${maxLimit}`);
  }
  const delimiter = one(q.delimiter, 'delimiter');
  if (delimiter !== undefined && [...delimiter].length !== 1) throw new BadRequest('Bad delimiter');
  const reverse = one(q.reverse, 'reverse');
  return {
    prefix: one(q.prefix, 'prefix') ?? '', delimiter: delimiter || undefined, marker: one(q.marker, 'marker') || undefined,
    endMarker: one(q.end_marker, 'end_marker') || undefined, limit,
    reverse: reverse !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(reverse.toLowerCase()),
  };
}

/** The format from ?format=, else the Accept header, else plain. */
export function listingFormat(req: FastifyRequest): ListingFormat {
  const f = one((req.query as Record<string, unknown>).format, 'format')?.toLowerCase();
  if (f === 'json') return 'json';
  if (f === 'xml') return 'xml';
  if (f === 'plain' || f === 'text') return 'plain';
  if (f !== undefined) throw new BadRequest(`Invalid format ${f}: use json, xml or plain.`);
  const accept = header(req, 'accept') ?? '';
  if (/application\/json/.test(accept)) return 'json';
  if (/(application|text)\/xml/.test(accept)) return 'xml';
  if (accept && !/text\/plain|\*\/\*|text\/\*/.test(accept)) throw new NotAcceptable('No acceptable listing format.');
  return 'plain';
}

export const CONTENT_TYPES: Record<ListingFormat, string> = {
  plain: 'text/plain; charset=utf-8', json: 'application/json; charset=utf-8', xml: 'application/xml; charset=utf-8',
};

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Swift's last_modified: ISO without the zone, with microseconds (the common millisecond form without regex replaces). */
const swiftTime = (iso: string) => (iso.length === 24 && iso[19] === '.' && iso[23] === 'Z' ? `${iso.slice(0, 23)}000` : iso.replace(/Z$/, '').replace(/\.(\d{3})$/, '.$1000'));

/** An SLO manifest lists with its large object's size, and (JSON only) its large object's ETag as `slo_etag`. */
export function renderObjectListing(entries: ListingEntry<ObjectListing>[], format: ListingFormat, container: string): string {
  if (format === 'plain') return entries.map((e) => `${e.kind === 'item' ? e.item.name : e.subdir}\n`).join('');
  const items = entries.map((e) => (e.kind === 'subdir' ? e : { ...e, shown: listedObject(e.item) }));
  const docs = items.map((e) => (e.kind === 'subdir' ? { subdir: e.subdir } : {
    hash: e.shown.hash, last_modified: swiftTime(e.item.lastModified), bytes: e.shown.bytes, name: e.item.name, content_type: e.shown.contentType,
    ...(e.shown.sloEtag !== undefined ? { slo_etag: e.shown.sloEtag } : {}),
  }));
  if (format === 'json') return JSON.stringify(docs);
  const body = items.map((e) => (e.kind === 'subdir'
    ? `<subdir name="${xmlEscape(e.subdir)}"><name>${xmlEscape(e.subdir)}</name></subdir>`
    : `<object><name>${xmlEscape(e.item.name)}</name><hash>${xmlEscape(e.shown.hash)}</hash><bytes>${e.shown.bytes}</bytes><content_type>${xmlEscape(e.shown.contentType)}</content_type><last_modified>${swiftTime(e.item.lastModified)}</last_modified></object>`)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<container name="${xmlEscape(container)}">${body}</container>`;
}

export function renderContainerListing(entries: ListingEntry<ContainerListing>[], format: ListingFormat, account: string): string {
  if (format === 'plain') return entries.map((e) => `${e.kind === 'item' ? e.item.name : e.subdir}\n`).join('');
  const docs = entries.map((e) => (e.kind === 'subdir' ? { subdir: e.subdir } : {
    name: e.item.name, count: e.item.count, bytes: e.item.bytes, last_modified: swiftTime(e.item.lastModified),
  }));
  if (format === 'json') return JSON.stringify(docs);
  const body = entries.map((e) => (e.kind === 'subdir'
    ? `<subdir name="${xmlEscape(e.subdir)}"><name>${xmlEscape(e.subdir)}</name></subdir>`
    : `<container><name>${xmlEscape(e.item.name)}</name><count>${e.item.count}</count><bytes>${e.item.bytes}</bytes><last_modified>${swiftTime(e.item.lastModified)}</last_modified></container>`)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<account name="${xmlEscape(account)}">${body}</account>`;
}
