// Self-repair with 3 replicas on 4 devices (issue 7's faults): a wiped device gets its replicas back from the others,
// a corrupt replica is served around, quarantined by the auditor and rebuilt by the replicator, and writes, deletes
// and POSTs made while a device was away land on it after one replicator pass — handoff copies then disappear.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { globSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitReplica } from '../agent/replica-file.ts';
import { nameHash, partitionOf, primaryNodes } from '../domain/ring/ring.ts';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

describe('object storage self-repair: replicator and auditor', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  let account: string;
  const root = () => os.service.objectsDir;
  /** Every .data file of an object, as device names (sorted). */
  const replicaDevices = (name: string) => {
    const hash = nameHash(os.service.ring, account, 'c', name);
    return globSync(`*/objects/*/${hash}/*.data`, { cwd: root() }).map((f) => f.split('/')[0]).sort();
  };
  /** The object's bytes in a replica file (without the metadata footer). */
  const bytesIn = (f: string) => splitReplica(readFileSync(join(root(), f)))?.bytes;
  /** Flips one byte of the object in a replica file: the size and footer stay, so only the MD5 check can tell. */
  const corruptByte = (f: string, at: number) => {
    const file = readFileSync(join(root(), f));
    file[at] ^= 0xff;
    writeFileSync(join(root(), f), file);
  };
  const replicaFiles = (name: string) => globSync(`*/objects/*/${nameHash(os.service.ring, account, 'c', name)}/*`, { cwd: root() });
  const primariesOf = (name: string) => primaryNodes(os.service.ring, partitionOf(os.service.ring, account, 'c', name)).map((d) => d.name).sort();
  /** An object name whose primaries include `device` (and, optionally, a prefix to keep names apart). */
  const nameOn = (device: string, prefix: string) => {
    for (let i = 0; ; i++) if (primariesOf(`${prefix}-${i}`).includes(device)) return `${prefix}-${i}`;
  };

  before(async () => {
    // No timers: the tests run each pass themselves, so nothing repairs behind their back.
    os = await startObjectStorage({ replicator_interval: 0, auditor_interval: 0 });
    token = os.as.alice.token;
    account = `AUTH_${os.as.alice.projectId}`;
    base = os.account(os.as.alice);
    await os.call('PUT', `${base}/c`, { token });
  });
  after(() => os?.close());

  it('a wiped device keeps every object readable and gets all its replicas back after one replicator pass', async () => {
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 16; i++) {
      const data = randomBytes(500 + i * 37);
      bodies.set(`wiped-${i}`, data);
      assert.equal((await os.call('PUT', `${base}/c/wiped-${i}`, { token, body: data })).status, 201);
    }
    const onD1 = [...bodies.keys()].filter((n) => replicaDevices(n).includes('d1'));
    assert.ok(onD1.length > 0);
    await os.service.storageNode.replicate(); // settle: nothing to push on a healthy cluster
    // The disk is replaced: the device directory is back, empty.
    rmSync(join(root(), 'd1', 'objects'), { recursive: true, force: true });
    for (const [name, data] of bodies) {
      const got = await os.call('GET', `${base}/c/${name}`, { token });
      assert.equal(got.status, 200, name);
      assert.ok(got.bytes.equals(data), name);
    }
    assert.ok(onD1.every((n) => !replicaDevices(n).includes('d1')));
    const report = await os.service.storageNode.replicate();
    assert.equal(report.pushed, onD1.length);
    assert.equal(report.failures, 0);
    for (const [name, data] of bodies) {
      assert.deepEqual(replicaDevices(name), primariesOf(name), name);
      for (const f of globSync(`*/objects/*/${nameHash(os.service.ring, account, 'c', name)}/*.data`, { cwd: root() })) assert.ok(bytesIn(f)?.equals(data), f);
    }
    assert.equal((await os.service.storageNode.replicate()).pushed, 0, 'a second pass finds everything in sync');
  });

  it('a corrupt replica: the read returns the right bytes, the auditor quarantines it and the replicator rebuilds it', async () => {
    const data = randomBytes(64 * 1024);
    await os.call('PUT', `${base}/c/fragile`, { token, body: data });
    const primaries = primaryNodes(os.service.ring, partitionOf(os.service.ring, account, 'c', 'fragile')).map((d) => d.name);
    const fileOn = (device: string) => globSync(`${device}/objects/*/${nameHash(os.service.ring, account, 'c', 'fragile')}/*.data`, { cwd: root() })[0];
    // The third primary is never read while the first answers: only the auditor can find its damage.
    corruptByte(fileOn(primaries[2]), 1000);
    const got = await os.call('GET', `${base}/c/fragile`, { token });
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(data));
    const audit = await os.service.storageNode.audit();
    assert.equal(audit.quarantined, 1);
    assert.ok(audit.objects >= 3);
    assert.deepEqual(globSync('*/quarantined/objects/*/*.data', { cwd: root() }).map((f) => f.split('/')[0]), [primaries[2]]);
    assert.equal(fileOn(primaries[2]), undefined);
    const report = await os.service.storageNode.replicate();
    assert.equal(report.pushed, 1);
    assert.deepEqual(replicaDevices('fragile'), [...primaries].sort());
    assert.ok(bytesIn(fileOn(primaries[2]))?.equals(data));
    assert.equal((await os.service.storageNode.audit()).quarantined, 0);
  });

  it('a corrupt replica is never pushed: the replicator quarantines it on the way and a good copy wins', async () => {
    const data = randomBytes(10_000);
    await os.call('PUT', `${base}/c/spread`, { token, body: data });
    const primaries = primariesOf('spread');
    const hash = nameHash(os.service.ring, account, 'c', 'spread');
    const [corrupt, victim] = primaries;
    rmSync(join(root(), globSync(`${victim}/objects/*/${hash}`, { cwd: root() })[0]), { recursive: true });
    corruptByte(globSync(`${corrupt}/objects/*/${hash}/*.data`, { cwd: root() })[0], 5);
    // Whichever device's pass reaches the victim first: a corrupt source fails its push and is quarantined on the way,
    // a good one fills the gap. Passes run their devices concurrently, so the order is not fixed; the auditor finds the
    // corrupt copy if no push touched it, and the next pass fills its place.
    await os.service.storageNode.replicate();
    await os.service.storageNode.audit();
    await os.service.storageNode.replicate();
    assert.equal(globSync(`${corrupt}/quarantined/objects/${hash}-*/*.data`, { cwd: root() }).length, 1);
    assert.deepEqual(replicaDevices('spread'), primaries);
    for (const f of globSync(`*/objects/*/${hash}/*.data`, { cwd: root() })) assert.ok(bytesIn(f)?.equals(data), f);
  });

  it('a device away during PUT, POST and DELETE: writes go to a handoff and everything lands on the primary later', async () => {
    const away = 'd2';
    const fresh = nameOn(away, 'fresh');
    const doomed = nameOn(away, 'doomed');
    const touched = nameOn(away, 'touched');
    const oldBody = randomBytes(3000);
    await os.call('PUT', `${base}/c/${doomed}`, { token, body: oldBody });
    await os.call('PUT', `${base}/c/${touched}`, { token, body: 'meta', headers: { 'x-object-meta-color': 'red' } });
    const statsBefore = await os.call('HEAD', base, { token });
    const dir = join(root(), away);
    renameSync(dir, `${dir}.away`);
    const data = randomBytes(7000);
    try {
      assert.equal((await os.call('PUT', `${base}/c/${fresh}`, { token, body: data })).status, 201);
      assert.equal((await os.call('DELETE', `${base}/c/${doomed}`, { token })).status, 204);
      assert.equal((await os.call('POST', `${base}/c/${touched}`, { token, headers: { 'x-object-meta-color': 'blue' } })).status, 202);
      const handoff = replicaDevices(fresh).filter((d) => !primariesOf(fresh).includes(d));
      assert.equal(handoff.length, 1, 'the absent primary\'s replica went to a handoff');
      // The listing and the account stats are kept by the proxy at write time: the object shows during the outage.
      assert.match((await os.call('GET', `${base}/c?prefix=${fresh}`, { token })).text, new RegExp(`^${fresh}$`, 'm'));
    } finally {
      renameSync(`${dir}.away`, dir);
    }
    // Back with stale state: no fresh object, the doomed object's old data, the old metadata.
    assert.ok(!replicaDevices(fresh).includes(away));
    assert.ok(replicaDevices(doomed).includes(away));
    assert.equal((await os.call('GET', `${base}/c/${doomed}`, { token })).status, 404, 'the newer tombstones win over the returning data');
    const report = await os.service.storageNode.replicate();
    assert.equal(report.failures, 0);
    assert.ok(report.handoffsDrained >= 1);
    assert.deepEqual(replicaDevices(fresh), primariesOf(fresh), 'on its primaries, and no longer on the handoff');
    assert.deepEqual(replicaDevices(doomed), [], 'the delete won on every device');
    assert.ok(replicaFiles(doomed).every((f) => f.endsWith('.ts') && primariesOf(doomed).includes(f.split('/')[0])), 'tombstones only, on the primaries');
    const sidecar = replicaFiles(touched).find((f) => f.startsWith(`${away}/`) && f.endsWith('.meta.json'));
    assert.equal(JSON.parse(readFileSync(join(root(), sidecar!), 'utf8')).meta.color, 'blue');
    assert.ok((await os.call('GET', `${base}/c/${fresh}`, { token })).bytes.equals(data));
    // Listings and stats count each object once, whatever moved between devices.
    const statsAfter = await os.call('HEAD', base, { token });
    assert.equal(Number(statsAfter.headers.get('x-account-bytes-used')), Number(statsBefore.headers.get('x-account-bytes-used')) + data.length - oldBody.length);
    assert.equal(statsAfter.headers.get('x-account-object-count'), statsBefore.headers.get('x-account-object-count'));
    assert.equal((await os.call('GET', `${base}/c?prefix=${doomed}`, { token })).status, 204);
    assert.equal((await os.service.storageNode.replicate()).pushed, 0, 'converged');
  });
});
