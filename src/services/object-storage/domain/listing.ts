// Swift's listing walk shared by account and container listings: pages of names in order from a marker, with a
// delimiter rolling names up into `subdir` entries (pseudo-folders) and a limit on the entries returned.

export interface ListingQuery {
  prefix: string;
  delimiter?: string;
  marker?: string;
  endMarker?: string;
  limit: number;
  reverse: boolean;
}

/** One page from storage: names after `marker` (before it when reversed), before `endMarker`, starting with `prefix`. */
export interface PageQuery {
  prefix: string;
  marker?: string;
  endMarker?: string;
  limit: number;
  reverse: boolean;
}

export type ListingEntry<T> = { kind: 'item'; item: T } | { kind: 'subdir'; subdir: string };

/** The highest code point: a marker of `<subdir><this>` skips every name under the subdir. */
const AFTER_ALL = '\u{10FFFF}';

export async function walkListing<T extends { name: string }>(q: ListingQuery, fetchPage: (p: PageQuery) => Promise<T[]>): Promise<ListingEntry<T>[]> {
  const out: ListingEntry<T>[] = [];
  let marker = q.marker;
  for (;;) {
    const want = q.limit - out.length;
    if (want <= 0) return out;
    // With a delimiter the walk often jumps after a few rows: small pages keep each jump cheap.
    const page = q.delimiter ? Math.min(want, 100) : want;
    const rows = await fetchPage({ prefix: q.prefix, marker, endMarker: q.endMarker, limit: page, reverse: q.reverse });
    let skipped = false;
    for (const row of rows) {
      const rest = row.name.slice(q.prefix.length);
      const at = q.delimiter ? rest.indexOf(q.delimiter) : -1;
      if (at >= 0) {
        const subdir = q.prefix + rest.slice(0, at + q.delimiter!.length);
        // A client paging through subdirs sends the last one as its marker: it was already listed.
        if (subdir !== q.marker) out.push({ kind: 'subdir', subdir });
        // Everything under this subdir is rolled up: continue after (or, reversed, before) all of it.
        marker = q.reverse ? subdir : subdir + AFTER_ALL;
        skipped = true;
        break;
      }
      out.push({ kind: 'item', item: row });
      marker = row.name;
      if (out.length >= q.limit) return out;
    }
    if (!skipped && rows.length < page) return out;
  }
}
