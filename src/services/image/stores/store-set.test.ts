// The store set: new data goes to the default store, reads and deletes to the store that holds the location, so data
// written before the default changed stays readable.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { createFileStore } from './file/file-store.ts';
import { createStoreSet } from './store-set.ts';
import type { ImageStore } from './store.ts';

const dir = mkdtempSync(join(tmpdir(), 'store-set-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file store under another id, standing in for a second backend. */
const fileStoreAs = (id: string): ImageStore => ({ ...createFileStore({ dir: join(dir, id) }), id });

async function write(store: ImageStore, data: string): Promise<string> {
  const pending = await store.begin(randomUUID());
  await pipeline(Readable.from([Buffer.from(data)]), pending.stream);
  return pending.commit();
}

describe('store set', () => {
  it('writes to the default store and reads and deletes each location in the store that holds it', async () => {
    const [a, b] = [fileStoreAs('a'), fileStoreAs('b')];
    const before = createStoreSet([a, b], 'a');
    const inA = await write(before, 'first');
    assert.ok(a.owns(inA) && !b.owns(inA));
    const after = createStoreSet([a, b], 'b');
    assert.deepEqual(after.stores.map((s) => s.id), ['b', 'a'], 'the default first');
    const inB = await write(after, 'second');
    assert.ok(b.owns(inB));
    assert.equal(await text(await after.open(inA)), 'first', 'data written under the old default is still read');
    assert.equal(await text(await after.open(inB, { start: 1, end: 3 })), 'eco');
    await after.delete(inA);
    await assert.rejects(after.open(inA));
    await assert.rejects(after.open('file:///elsewhere/x'), /no configured store holds/);
  });

  it('openFirst reads the first copy a store serves, skipping missing data and stores not configured', async () => {
    const [a, b] = [fileStoreAs('fa'), fileStoreAs('fb')];
    const set = createStoreSet([a, b], 'fa');
    const inA = await write(a, 'copy in a');
    const inB = await write(b, 'copy in b');
    const first = await set.openFirst([{ store: 'fa', url: inA }, { store: 'fb', url: inB }]);
    assert.deepEqual([await text(first.stream), first.location.store, first.skipped.length], ['copy in a', 'fa', 0]);
    await a.delete(inA);
    const fallback = await set.openFirst([{ store: 'tape', url: 'tape://x' }, { store: 'fa', url: inA }, { store: 'fb', url: inB }], { start: 5, end: 8 });
    assert.equal(await text(fallback.stream), 'in b');
    assert.deepEqual(fallback.skipped.map((s) => s.location.store), ['tape', 'fa']);
    assert.match(String((fallback.skipped[0].error as Error).message), /store tape is not configured/);
    await assert.rejects(set.openFirst([{ store: 'fa', url: inA }]), { code: 'ENOENT' });
    await assert.rejects(set.openFirst([]), /the image has no data/);
  });

  it('refuses a default that is not among the stores', () => {
    assert.throws(() => createStoreSet([fileStoreAs('c')], 'object-store'), /default store object-store is not one of the configured stores \(c\)/);
  });
});
