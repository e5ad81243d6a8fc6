// What crashes and corruption leave on the devices (issue 7): temp files older than reclaim_age are removed by the
// replicator and younger ones kept; tombstones past reclaim_age and sidecars a crash left without data are found by
// the auditor and removed by the next replicator pass; quarantined replicas are kept and counted (auditor report and
// log, `stratus recon`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { globSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveOptions } from '#lib/config/options.ts';
import { nameHash } from '../domain/ring/ring.ts';
import { objectReconReport, objectStorageOptions } from '../roles.ts';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

describe('object storage upkeep: temp files, tombstones, quarantine', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  let account: string;
  const root = () => os.service.objectsDir;
  const filesOf = (name: string, pattern: string) => globSync(`*/objects/*/${nameHash(os.service.ring, account, 'c', name)}/${pattern}`, { cwd: root() });
  const WEEK_AGO = '1600000000.00000';

  before(async () => {
    os = await startObjectStorage({ replicator_interval: 0, auditor_interval: 0, updater_interval: 0 });
    token = os.as.alice.token;
    account = `AUTH_${os.as.alice.projectId}`;
    base = os.account(os.as.alice);
    assert.equal((await os.call('PUT', `${base}/c`, { token })).status, 201);
  });
  after(() => os?.close());

  it('the replicator removes temp files older than reclaim_age and keeps the younger ones', async () => {
    const tmp = join(root(), 'd1', 'tmp');
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, 'interrupted.data'), 'half a body');
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    utimesSync(join(tmp, 'interrupted.data'), eightDaysAgo, eightDaysAgo);
    writeFileSync(join(tmp, 'in-progress.data'), 'a write under way');
    const report = await os.service.storageNode.replicate();
    assert.equal(report.tmpReclaimed, 1);
    assert.ok(!existsSync(join(tmp, 'interrupted.data')));
    assert.ok(existsSync(join(tmp, 'in-progress.data')));
  });

  it('a tombstone past reclaim_age and a crash\'s lone sidecar are removed after an audit and a replicator pass (which rebuilds that replica)', async () => {
    assert.equal((await os.call('PUT', `${base}/c/old`, { token, body: 'x' })).status, 201);
    assert.equal((await os.call('DELETE', `${base}/c/old`, { token })).status, 204);
    assert.equal((await os.call('PUT', `${base}/c/torn`, { token, body: 'y' })).status, 201);
    await os.service.storageNode.replicate(); // the suffix digests are current
    // The tombstones were written long ago (renamed back in time): the replicator's cached digests do not look inside.
    for (const ts of filesOf('old', '*.ts')) renameSync(join(root(), ts), join(root(), dirname(ts), `${WEEK_AGO}.ts`));
    // A first PUT of the sidecar layout that a crash cut between its sidecar and its data: a lone sidecar, never visible.
    const [torn] = filesOf('torn', '*.data');
    const tornDir = join(root(), dirname(torn));
    renameSync(join(root(), torn), join(tornDir, `${WEEK_AGO}.meta.json`));
    await os.service.storageNode.replicate();
    assert.equal(filesOf('old', '*.ts').length, 3, 'not reclaimed while its suffix is unchanged');

    const audit = await os.service.storageNode.audit();
    assert.ok(audit.reclaimable >= 4, `${audit.reclaimable} directories handed over`);
    await os.service.storageNode.replicate();
    assert.deepEqual(filesOf('old', '*'), []);
    // The lone sidecar is gone, and the replicator rebuilt that replica from the others.
    assert.deepEqual(globSync('*', { cwd: tornDir }).map((f) => f.slice(16)).sort(), ['.data']);
    assert.equal((await os.call('GET', `${base}/c/torn`, { token })).status, 200, 'the other replicas still serve it');
  });

  it('quarantined replicas are kept and counted by the auditor and by stratus recon', async () => {
    assert.equal((await os.call('PUT', `${base}/c/rotten`, { token, body: 'good bytes' })).status, 201);
    const [replica] = filesOf('rotten', '*.data');
    writeFileSync(join(root(), replica), 'bad bytes!');
    const audit = await os.service.storageNode.audit();
    assert.equal(audit.quarantined, 1);
    const device = replica.split('/')[0];
    assert.equal(audit.quarantinedOnDisk[device], 1);
    assert.equal(Object.values(audit.quarantinedOnDisk).reduce((a, b) => a + b, 0), 1);
    const kept = globSync(`${device}/quarantined/objects/*/*.data`, { cwd: root() });
    assert.equal(readFileSync(join(root(), kept[0]), 'utf8'), 'bad bytes!');

    const options = resolveOptions('object_storage', objectStorageOptions, { part_power: 6 }, {});
    const recon = JSON.parse(await objectReconReport(dirname(root()), options, { json: true })) as { devices: Record<string, { quarantined: number }>; asyncPending: number };
    assert.equal(recon.devices[device].quarantined, 1);
    assert.equal(recon.asyncPending, 0);
    assert.match(await objectReconReport(dirname(root()), options), new RegExp(`${device} +1 +\\d+`));
  });
});
