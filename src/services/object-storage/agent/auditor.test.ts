// The auditor: every live replica is checked against its recorded MD5, a corrupt one is quarantined (and its suffix
// marked changed for the replicator), good ones and tombstones are left alone, and reading keeps to the rate limit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { globSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { silentLogger } from '#lib/log.ts';
import type { ObjectAddress } from '../rpc/object-server.ts';
import { auditPass } from './auditor.ts';
import { createDiskObjectServer } from './object-server.ts';
import { createSuffixHashes } from './suffix-hashes.ts';

describe('object auditor', () => {
  let root: string;
  const at = (object: string): ObjectAddress => ({ device: 'd1', partition: 5, account: 'AUTH_p', container: 'c', object });
  before(() => { root = mkdtempSync(join(tmpdir(), 'object-auditor-')); mkdirSync(join(root, 'd1')); });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('quarantines only the replica whose bytes changed, and its suffix digest changes', async () => {
    const hashes = createSuffixHashes({ root, reclaimAgeSeconds: 3600 });
    const server = createDiskObjectServer({ root, hashSuffix: 's', fsync: false, hashes });
    for (const name of ['good', 'bad']) await server.put(at(name), { timestamp: '1700000000.00000', contentType: 't', meta: {} }, Readable.from([Buffer.alloc(5000, 1)]));
    await server.delete(at('gone'), { timestamp: '1700000000.00000' });
    const before = await hashes.get('d1', 5);
    const [first] = globSync('d1/objects/5/*/*.data', { cwd: root });
    const bytes = readFileSync(join(root, first));
    bytes[4000] = 2;
    writeFileSync(join(root, first), bytes);
    const report = await auditPass({ root, devices: ['d1'], bytesPerSecond: 0, hashes, log: silentLogger() });
    assert.deepEqual(report, { objects: 2, bytes: 10000, quarantined: 1, errors: 0, reclaimable: 0, quarantinedOnDisk: { d1: 1 } });
    assert.equal(globSync('d1/objects/5/*/*.data', { cwd: root }).length, 1);
    assert.ok(readFileSync(join(root, globSync('d1/quarantined/objects/*/*.data', { cwd: root })[0])).equals(bytes));
    const after = await hashes.get('d1', 5);
    assert.notDeepEqual(after, before);
    assert.equal((await auditPass({ root, devices: ['d1'], bytesPerSecond: 0, hashes, log: silentLogger() })).quarantined, 0);
  });

  it('reads no faster than bytes_per_second', async () => {
    const hashes = createSuffixHashes({ root, reclaimAgeSeconds: 3600 });
    const server = createDiskObjectServer({ root, hashSuffix: 's', fsync: false, hashes });
    await server.put(at('big'), { timestamp: '1700000001.00000', contentType: 't', meta: {} }, Readable.from([Buffer.alloc(512 * 1024, 3)]));
    const started = performance.now();
    const report = await auditPass({ root, devices: ['d1'], bytesPerSecond: 1024 * 1024, hashes, log: silentLogger() });
    // At least the time the limit allows for what was read (a lower bound: a loaded machine only makes it slower).
    assert.ok(performance.now() - started >= (report.bytes / (1024 * 1024)) * 1000 - 150, `${report.bytes} bytes in ${performance.now() - started} ms`);
    assert.ok(report.bytes >= 512 * 1024);
  });
});
