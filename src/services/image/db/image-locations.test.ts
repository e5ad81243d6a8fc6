// The database side of images in several stores: the migration that moves each image's one location into
// image_locations, the rules for adding and removing copies, and the import lock with its progress lists, including
// the repair at start of a lock a stopped process left, and the expiry of a lock whose task stopped beating.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, runMigrations } from '#lib/db/index.ts';
import type { Database } from '#lib/db/index.ts';
import type { ImageTables } from './tables.ts';
import { imageMigrations as initialMigrations } from './migrations/001-initial.ts';
import { imageMigrations } from './migrations/index.ts';
import { getImage, storedBytes } from './images-repo.ts';
import { addLocation, deleteImageWithLocations, removeLocation } from './locations-repo.ts';
import { acquireImportLock, releaseImportLock, releaseStaleImportLocks, updateImportProgress } from './import-progress-repo.ts';
import { createImportLocks } from '../provider/import-lock.ts';
import { silentLogger } from '#lib/log.ts';

const dir = mkdtempSync(join(tmpdir(), 'image-locations-'));
let database: Database<ImageTables>;
const at = '2025-01-01T00:00:00.000Z';

/** Inserts an image row as the first schema knew it: its data's one location in `location`. */
async function legacyImage(status: string, location: string | null): Promise<string> {
  const id = randomUUID();
  await database.db.insertInto('images').values({
    id, name: null, owner: 'p', status, visibility: 'shared', disk_format: 'raw', container_format: 'bare', size: 10,
    virtual_size: 10, checksum: null, os_hash_algo: null, os_hash_value: null, min_disk: 0, min_ram: 0, protected: false,
    os_hidden: false, location, created_at: at, updated_at: at,
  }).execute();
  return id;
}

before(async () => {
  database = await openDatabase<ImageTables>({ url: `sqlite://${dir}/image.sqlite` });
  await runMigrations(database, initialMigrations);
});
after(async () => {
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('image locations in the database', { concurrency: false }, () => {
  it('the migration moves stored data into image_locations with its store, and leaves staged data where it is', async () => {
    const inFile = await legacyImage('active', 'file:///data/images/a');
    const inSwift = await legacyImage('deactivated', 'swift+config://glance/glance/b');
    const staged = await legacyImage('uploading', 'file:///data/image-staging/c');
    await runMigrations(database, imageMigrations);
    assert.deepEqual((await getImage(database.db, inFile))!.locations, [{ store: 'file', url: 'file:///data/images/a' }]);
    assert.equal((await getImage(database.db, inFile))!.stagedLocation, null);
    assert.deepEqual((await getImage(database.db, inSwift))!.locations, [{ store: 'object-store', url: 'swift+config://glance/glance/b' }]);
    const still = (await getImage(database.db, staged))!;
    assert.deepEqual([still.stagedLocation, still.locations], ['file:///data/image-staging/c', []]);
    assert.equal(await storedBytes(database.db, 'p'), 30, 'stored and staged data count once each');
  });

  it('copies are added in order to images with data only, and removed one at a time but never the last', async () => {
    const id = await legacyImage('active', null);
    assert.equal(await addLocation(database.db, id, { store: 'file', url: 'file:///x' }, at), true);
    assert.equal(await addLocation(database.db, id, { store: 'object-store', url: 'swift+config://glance/g/x' }, at), true);
    assert.deepEqual((await getImage(database.db, id))!.locations.map((l) => l.store), ['file', 'object-store']);
    assert.equal(await addLocation(database.db, await legacyImage('queued', null), { store: 'file', url: 'file:///y' }, at), false);
    assert.equal(await addLocation(database.db, randomUUID(), { store: 'file', url: 'file:///z' }, at), false);

    assert.deepEqual(await removeLocation(database.db, id, 'tape', at), { refused: 'absent' });
    assert.deepEqual(await removeLocation(database.db, id, 'file', at), { removed: { store: 'file', url: 'file:///x' } });
    assert.deepEqual(await removeLocation(database.db, id, 'object-store', at), { refused: 'last' });
    assert.deepEqual(await removeLocation(database.db, randomUUID(), 'file', at), { refused: 'gone' });
    assert.deepEqual(await deleteImageWithLocations(database.db, id), [{ store: 'object-store', url: 'swift+config://glance/g/x' }]);
    assert.equal(await getImage(database.db, id), undefined);
    assert.equal(await deleteImageWithLocations(database.db, id), undefined);
  });

  it('one import holds the lock at a time; progress lists stay sorted; a stopped process\'s lock is released at start', async () => {
    const id = await legacyImage('active', null);
    assert.equal(await acquireImportLock(database.db, id, 'task-1'), 'acquired');
    assert.equal(await acquireImportLock(database.db, id, 'task-2'), 'held');
    assert.equal(await acquireImportLock(database.db, randomUUID(), 'task-3'), 'gone');
    await updateImportProgress(database.db, id, { importing: { add: ['zeta', 'alpha'] }, failed: { remove: ['alpha'] } }, at);
    await updateImportProgress(database.db, id, { importing: { remove: ['zeta'] } }, at);
    let props = (await getImage(database.db, id))!.properties;
    assert.deepEqual([props.os_glance_importing_to_stores, props.os_glance_failed_import], ['alpha', '']);
    await releaseImportLock(database.db, id, 'task-2');
    assert.equal((await getImage(database.db, id))!.properties.os_glance_import_task, 'task-1', 'only the holder releases');

    assert.equal(await releaseStaleImportLocks(database.db, at), 1);
    props = (await getImage(database.db, id))!.properties;
    assert.deepEqual([props.os_glance_import_task, props.os_glance_importing_to_stores, props.os_glance_failed_import], [undefined, '', 'alpha']);
    assert.equal(await acquireImportLock(database.db, id, 'task-4'), 'acquired');
  });

  it('a lock whose task stops beating expires and the next import takes it over; a beating one holds', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const id = await legacyImage('active', null);
    const silent = createImportLocks(database.db, { expirySeconds: 1, heartbeatMs: 60_000, log: silentLogger() });
    const first = await silent.acquire(id);
    await updateImportProgress(database.db, id, { importing: { add: ['file'] } }, at);
    await assert.rejects(silent.acquire(id), (e: { status?: number }) => e.status === 409, 'held while fresh');
    await sleep(1300);
    const second = await silent.acquire(id);
    let props = (await getImage(database.db, id))!.properties;
    assert.equal(props.os_glance_import_task, second.taskId);
    assert.deepEqual([props.os_glance_importing_to_stores, props.os_glance_failed_import], ['', 'file'], 'the expired task\'s store failed');
    await first.release();
    assert.equal((await getImage(database.db, id))!.properties.os_glance_import_task, second.taskId, 'the old holder no longer releases it');
    await second.release();

    const beating = createImportLocks(database.db, { expirySeconds: 1, heartbeatMs: 200, log: silentLogger() });
    const live = await beating.acquire(id);
    await sleep(1500);
    await assert.rejects(beating.acquire(id), (e: { status?: number }) => e.status === 409, 'a beating task keeps its lock');
    await live.release();
    props = (await getImage(database.db, id))!.properties;
    assert.equal(props.os_glance_import_task, undefined);
    assert.equal((await database.db.selectFrom('image_import_tasks').selectAll().where('image_id', '=', id).execute()).length, 0, 'no heartbeat rows left');
  });
});
