// The listing walk over pages: delimiters roll names up into subdirs once each, across page boundaries and reversed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { walkListing } from './listing.ts';
import type { ListingQuery, PageQuery } from './listing.ts';

const NAMES = ['a', 'b/1', 'b/2', 'b/3', 'b/4', 'c/x/1', 'c/y', 'd', 'e/'].sort();

/** A fake store answering pages as the database does, counting the queries. */
function store() {
  const calls: PageQuery[] = [];
  const fetchPage = async (p: PageQuery) => {
    calls.push(p);
    let rows = NAMES.filter((n) => n.startsWith(p.prefix));
    if (p.reverse) rows = rows.reverse();
    if (p.marker !== undefined) rows = rows.filter((n) => (p.reverse ? n < p.marker! : n > p.marker!));
    if (p.endMarker !== undefined) rows = rows.filter((n) => (p.reverse ? n > p.endMarker! : n < p.endMarker!));
    return rows.slice(0, p.limit).map((name) => ({ name }));
  };
  return { calls, fetchPage };
}

const names = async (q: Partial<ListingQuery>) => {
  const s = store();
  const entries = await walkListing({ prefix: '', limit: 100, reverse: false, ...q }, s.fetchPage);
  return entries.map((e) => (e.kind === 'item' ? e.item.name : `${e.subdir}*`));
};

describe('listing walk', () => {
  it('rolls names up at the delimiter, once per subdir, forwards and reversed', async () => {
    assert.deepEqual(await names({ delimiter: '/' }), ['a', 'b/*', 'c/*', 'd', 'e/*']);
    assert.deepEqual(await names({ delimiter: '/', reverse: true }), ['e/*', 'd', 'c/*', 'b/*', 'a']);
    assert.deepEqual(await names({ delimiter: '/', prefix: 'c/' }), ['c/x/*', 'c/y']);
    // Paging: the marker is the last entry of the previous page, which may be a subdir.
    assert.deepEqual(await names({ delimiter: '/', marker: 'b/' }), ['c/*', 'd', 'e/*']);
    assert.deepEqual(await names({ delimiter: '/', prefix: 'c/', marker: 'c/x/' }), ['c/y']);
    assert.deepEqual(await names({ delimiter: '/', marker: 'e/' }), []);
  });

  it('stops at the limit, including subdirs, and skips a rolled-up subdir with one query', async () => {
    assert.deepEqual(await names({ delimiter: '/', limit: 2 }), ['a', 'b/*']);
    assert.deepEqual(await names({ limit: 3, marker: 'b/2' }), ['b/3', 'b/4', 'c/x/1']);
    assert.deepEqual(await names({ marker: 'a', endMarker: 'c' }), ['b/1', 'b/2', 'b/3', 'b/4']);
    const s = store();
    await walkListing({ prefix: '', delimiter: '/', limit: 100, reverse: false }, s.fetchPage);
    assert.equal(s.calls.length, 4, 'one query to reach each of b/, c/ and e/, one to resume after e/');
  });
});
