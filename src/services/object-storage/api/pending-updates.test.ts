// Pending-update records (Swift's async_pending on the proxy): a record in use by a request is never handed to the
// updater; a write that finished removes its record, one whose replicas or listing failed keeps it (unless the client
// caused the failure, which no replica accepted); a record torn by a crash reads as empty. A new journal over the same
// directory (a restart) sees every record left.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequest } from '#lib/errors.ts';
import { silentLogger } from '#lib/log.ts';
import { underPendingUpdate } from './object-updater.ts';
import { createPendingUpdates } from './pending-updates.ts';
import type { PendingUpdate } from './pending-updates.ts';

describe('pending-update records', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'object-pending-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const update = (object: string, timestamp: string): PendingUpdate => ({ account: 'AUTH_p', container: 'c', object, op: 'put', timestamp });
  const files = (sub: string) => readdirSync(join(dir, sub)).sort();

  it('hands the updater only records no request is using, oldest first', async () => {
    const pending = createPendingUpdates({ dir: join(dir, 'a'), fsync: true });
    const late = await pending.begin(update('late', '1700000002.00000'));
    const early = await pending.begin(update('early', '1700000001.00000'));
    assert.deepEqual(await pending.idle(), []);
    early.release();
    late.release();
    assert.deepEqual((await pending.idle()).map((r) => r.update?.object), ['early', 'late']);
    // A restart: the records are still there for the new process.
    const restarted = createPendingUpdates({ dir: join(dir, 'a'), fsync: true });
    const records = await restarted.idle();
    assert.equal(records.length, 2);
    for (const r of records) await restarted.remove(r.id);
    assert.deepEqual(files('a'), []);
  });

  it('a torn record reads as no update', async () => {
    const pending = createPendingUpdates({ dir: join(dir, 'b'), fsync: false });
    await (await pending.begin(update('x', '1700000003.00000'))).done();
    writeFileSync(join(dir, 'b', '1700000004.00000-torn.json'), '{"account":"AUTH_p","conta');
    assert.deepEqual((await pending.idle()).map((r) => r.update), [undefined]);
  });

  it('a finished write removes its record; a failed listing or replica write keeps it; a client error does not', async () => {
    const pending = createPendingUpdates({ dir: join(dir, 'c'), fsync: false });
    const deps = { pending, log: silentLogger() };
    assert.equal(await underPendingUpdate(deps, update('ok', '1700000005.00000'), async () => 'stored', async () => undefined), 'stored');
    assert.deepEqual(files('c'), []);
    // The database failed: the write still succeeds, and the record stays for the updater.
    assert.equal(await underPendingUpdate(deps, update('unlisted', '1700000006.00000'), async () => 'stored', async () => { throw new Error('database is locked'); }), 'stored');
    await assert.rejects(underPendingUpdate(deps, update('no-quorum', '1700000007.00000'), async () => { throw new Error('503'); }, async () => undefined), /503/);
    await assert.rejects(underPendingUpdate(deps, update('bad-etag', '1700000008.00000'), async () => { throw new BadRequest('etag'); }, async () => undefined), /etag/);
    assert.deepEqual((await pending.idle()).map((r) => r.update?.object), ['unlisted', 'no-quorum']);
  });
});
