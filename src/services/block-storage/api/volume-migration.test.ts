// Retype that moves a volume (migration_policy on-demand) between two file backends on one host: the scheduler picks
// the new type's backend, which copies the volume (qemu-img, raw → qcow2 here) through the source's connection info;
// the volume keeps its id and its bytes, migration_status goes to success, and the source's file is removed. Without
// on-demand it is refused with nothing changed; with no backend for the type the migration ends in error and the
// volume stays where it was. An admin's os-migrate_volume moves a volume the same way to a named backend. A migration
// cut off by a dead destination is given up when the source's volume service restarts: never stuck migrating.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { createVolumeService } from '../roles.ts';
import type { VolumeService } from '../roles.ts';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { TestBlockStorage } from './test-block-storage.ts';
import { contentDigest, writeAt } from './test-volume-bytes.ts';

let skip: string | false = false;
try { execFileSync('qemu-img', ['--version']); } catch { skip = 'qemu-img is not installed (apt-get install qemu-utils)'; }

describe('volume migration between backends (retype on-demand)', { skip }, () => {
  let c: TestBlockStorage;
  let beta: VolumeService;
  before(async () => {
    c = await startBlockStorageForTest({ volume_driver: 'file', volume_format: 'raw', backend_name: 'alpha' });
    beta = await createVolumeService({ options: { ...c.options, backend_name: 'beta', volumes_dir: join(c.dir, 'volumes-beta') }, dataDir: c.dir, log: silentLogger() });
  });
  after(async () => { await beta?.close(); await c?.close(); });

  const type = async (name: string, extraSpecs: Record<string, string>) => {
    const { admin } = c.as;
    const r = await c.call('POST', c.p(admin, '/types'), { token: admin.token, body: { volume_type: { name, extra_specs: extraSpecs } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.volume_type;
  };
  const show = async (id: string) => (await c.call('GET', c.p(c.as.admin, `/volumes/${id}`), { token: c.as.admin.token })).body.volume;
  const settled = async (id: string) => {
    for (let i = 0; i < 400; i++) {
      const v = await show(id);
      if (v.status !== 'retyping') return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`volume ${id} is still retyping`);
  };
  const retype = (id: string, newType: string, policy?: string) =>
    c.call('POST', c.p(c.as.alice, `/volumes/${id}/action`), { token: c.as.alice.token, body: { 'os-retype': { new_type: newType, ...(policy ? { migration_policy: policy } : {}) } } });

  it('moves the volume to the new type\'s backend with its bytes and id, and removes it from the old one', async () => {
    await type('on-alpha', { volume_backend_name: 'alpha' });
    await type('on-beta', { volume_backend_name: 'beta', volume_format: 'qcow2' });
    const v = await c.createVolume(c.as.alice, { size: 1, volume_type: 'on-alpha' });
    assert.match((await show(v.id))['os-vol-host-attr:host'], /@alpha#/);
    const alphaFile = join(c.dir, 'volumes', `volume-${v.id}`);
    await writeAt(alphaFile, randomBytes(3 * 1024 * 1024), 4096);
    await writeAt(alphaFile, randomBytes(70_000), 600 * 1024 * 1024);
    const before = await contentDigest(alphaFile);

    const refused = await retype(v.id, 'on-beta');
    assert.equal(refused.status, 400);
    assert.match(refused.body.badRequest.message, /migration_policy on-demand/);
    assert.deepEqual([(await show(v.id)).status, (await show(v.id)).volume_type], ['available', 'on-alpha'], 'nothing changed');

    const r = await retype(v.id, 'on-beta', 'on-demand');
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const moved = await settled(v.id);
    assert.deepEqual([moved.id, moved.status, moved.migration_status, moved.volume_type], [v.id, 'available', 'success', 'on-beta']);
    assert.match(moved['os-vol-host-attr:host'], /@beta#/);
    const betaFile = join(c.dir, 'volumes-beta', `volume-${v.id}`);
    assert.equal(JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-f', 'qcow2', betaFile], { encoding: 'utf8' })).format, 'qcow2');
    const raw = join(c.dir, `check-${v.id}.raw`);
    execFileSync('qemu-img', ['convert', '-q', '-f', 'qcow2', '-O', 'raw', betaFile, raw]);
    assert.equal(await contentDigest(raw), before, 'the same bytes on the new backend');
    for (let i = 0; i < 100 && existsSync(alphaFile); i++) await new Promise((d) => setTimeout(d, 50));
    assert.equal(existsSync(alphaFile), false, 'the old backend\'s copy is removed');

    // It is a volume of its new backend now: snapshots are made there.
    const s = await c.call('POST', c.p(c.as.alice, '/snapshots'), { token: c.as.alice.token, body: { snapshot: { volume_id: v.id } } });
    assert.equal((await c.waitFor(c.as.alice, c.p(c.as.alice, `/snapshots/${s.body.snapshot.id}`), ['available', 'error'])).snapshot.status, 'available');
    assert.ok(existsSync(join(c.dir, 'volumes-beta', `snapshot-${s.body.snapshot.id}`)));
  });

  it('migrates a volume to a named backend for an admin (os-migrate_volume), keeping its type', async () => {
    const { admin, alice } = c.as;
    const v = await c.createVolume(alice, { size: 1 });
    const from = (await show(v.id))['os-vol-host-attr:host'] as string;
    const to = from.includes('@alpha') ? 'localhost@beta' : 'localhost@alpha';
    const act = (who: typeof admin, body: Record<string, unknown>) => c.call('POST', c.p(who, `/volumes/${v.id}/action`), { token: who.token, version: '3.16', body: { 'os-migrate_volume': body } });
    assert.equal((await act(alice, { host: to })).status, 403);
    assert.equal((await act(admin, { host: from })).status, 400, 'not to where it is');
    const r = await act(admin, { host: to, force_host_copy: false });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    let moved;
    for (let i = 0; i < 400 && (moved = await show(v.id)).status === 'maintenance'; i++) await new Promise((d) => setTimeout(d, 50));
    assert.deepEqual([moved.status, moved.migration_status, moved.volume_type], ['available', 'success', v.volume_type]);
    assert.ok(moved['os-vol-host-attr:host'].startsWith(`${to}#`), moved['os-vol-host-attr:host']);
  });

  it('ends a migration with no backend for the new type in error, the volume where it was', async () => {
    await type('on-gamma', { volume_backend_name: 'gamma' });
    const v = await c.createVolume(c.as.alice, { size: 1, volume_type: 'on-alpha' });
    const r = await retype(v.id, 'on-gamma', 'on-demand');
    assert.equal(r.status, 202);
    const after = await settled(v.id);
    assert.deepEqual([after.status, after.migration_status, after.volume_type], ['available', 'error', 'on-alpha']);
    assert.match(after['os-vol-host-attr:host'], /@alpha#/);
    assert.ok(existsSync(join(c.dir, 'volumes', `volume-${v.id}`)));
  });

  it('gives up a migration whose destination died when the source restarts: available, migration_status error', async () => {
    const v = await c.createVolume(c.as.alice, { size: 1, volume_type: 'on-alpha' });
    await beta.close(); // the destination dies; the scheduler still has its last capacity report
    assert.equal((await retype(v.id, 'on-beta', 'on-demand')).status, 202);
    let during;
    for (let i = 0; i < 200 && (during = await show(v.id)).migration_status !== 'migrating' && during.migration_status !== 'error'; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.deepEqual([during.status, during.migration_status], ['retyping', 'migrating'], 'the copy was handed to the dead destination');
    await c.restartVolumeService();
    const after = await settled(v.id);
    assert.deepEqual([after.status, after.migration_status, after.volume_type], ['available', 'error', 'on-alpha']);
    assert.match(after['os-vol-host-attr:host'], /@alpha#/);
    assert.ok(existsSync(join(c.dir, 'volumes', `volume-${v.id}`)), 'the volume keeps its data where it was');
    beta = await createVolumeService({ options: { ...c.options, backend_name: 'beta', volumes_dir: join(c.dir, 'volumes-beta') }, dataDir: c.dir, log: silentLogger() });
  });
});
