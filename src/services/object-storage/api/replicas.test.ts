// Faults with 3 replicas on 4 devices: a lost device, a corrupt replica, a cut-off upload and hostile names — reads
// still return the right bytes, writes land on a quorum, and nothing partial or outside the data directory appears.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { globSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { splitReplica } from '../agent/replica-file.ts';
import { partitionOf, primaryNodes } from '../domain/ring/ring.ts';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

/** Sends raw bytes on a fresh connection and resolves to the status line's code (or undefined if none came back). */
function rawRequest(url: string, text: string, closeAfterMs?: number): Promise<number | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(text);
      if (closeAfterMs !== undefined) setTimeout(() => socket.destroy(), closeAfterMs);
    });
    let got = '';
    socket.on('data', (c) => { got += c.toString(); });
    socket.on('close', () => done(/^HTTP\/1\.1 (\d{3})/.exec(got) ? Number(/^HTTP\/1\.1 (\d{3})/.exec(got)![1]) : undefined));
    socket.on('error', () => undefined);
  });
}

describe('object storage replicas and faults', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  const dataFiles = () => globSync('*/objects/**/*.data', { cwd: os.service.objectsDir });
  /** The object's bytes in a replica file (without the metadata footer). */
  const bytesIn = (f: string) => splitReplica(readFileSync(join(os.service.objectsDir, f)))?.bytes;
  before(async () => {
    os = await startObjectStorage();
    token = os.as.alice.token;
    base = os.account(os.as.alice);
    await os.call('PUT', `${base}/c`, { token });
  });
  after(() => os?.close());

  it('stores every object on 3 of the 4 devices, each on a distinct device', async () => {
    const before = dataFiles().length;
    await os.call('PUT', `${base}/c/three`, { token, body: 'xyz' });
    const devices = dataFiles().map((f) => f.split('/')[0]);
    assert.equal(dataFiles().length - before, 3);
    assert.ok(devices.every((d) => ['d1', 'd2', 'd3', 'd4'].includes(d)));
    assert.equal(os.service.ring.replicas, 3);
    assert.equal(os.service.ring.devices.length, 4);
  });

  it('with one device gone every object is still readable, and new writes succeed through a handoff', async () => {
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) {
      const data = randomBytes(1000 + i);
      bodies.set(`obj-${i}`, data);
      assert.equal((await os.call('PUT', `${base}/c/obj-${i}`, { token, body: data })).status, 201);
    }
    const d1 = join(os.service.objectsDir, 'd1');
    renameSync(d1, `${d1}.lost`);
    try {
      for (const [name, data] of bodies) {
        const got = await os.call('GET', `${base}/c/${name}`, { token });
        assert.equal(got.status, 200, name);
        assert.ok(got.bytes.equals(data), name);
      }
      const fresh = randomBytes(5000);
      assert.equal((await os.call('PUT', `${base}/c/while-down`, { token, body: fresh })).status, 201);
      assert.ok((await os.call('GET', `${base}/c/while-down`, { token })).bytes.equals(fresh));
      assert.equal(globSync('*/objects/**/*.data', { cwd: os.service.objectsDir }).filter((f) => f.startsWith('d1/')).length, 0);
    } finally {
      renameSync(`${d1}.lost`, d1);
    }
  });

  it('a device failing its write still leaves a quorum write; too few devices answer 503 and list nothing', async () => {
    // Make one primary's temp directory a file: its writes fail while the device still looks present.
    const ring = os.service.ring;
    const [broken] = primaryNodes(ring, partitionOf(ring, `AUTH_${os.as.alice.projectId}`, 'c', 'quorum')).map((d) => d.name);
    const tmp = join(os.service.objectsDir, broken, 'tmp');
    rmSync(tmp, { recursive: true, force: true });
    writeFileSync(tmp, 'not a directory');
    try {
      const data = randomBytes(2000);
      assert.equal((await os.call('PUT', `${base}/c/quorum`, { token, body: data })).status, 201);
      assert.ok((await os.call('GET', `${base}/c/quorum`, { token })).bytes.equals(data));
      assert.equal(dataFiles().filter((f) => bytesIn(f)?.equals(data)).length, 2);
    } finally {
      rmSync(tmp, { force: true });
    }
    const gone = ['d2', 'd3', 'd4'].map((d) => join(os.service.objectsDir, d));
    for (const d of gone) renameSync(d, `${d}.away`);
    try {
      assert.equal((await os.call('PUT', `${base}/c/no-quorum`, { token, body: 'x' })).status, 503);
    } finally {
      for (const d of gone) renameSync(`${d}.away`, d);
    }
    assert.equal((await os.call('GET', `${base}/c?prefix=no-quorum`, { token })).status, 204);
  });

  it('a corrupt replica is quarantined and never served: the read returns the right bytes from another replica', async () => {
    const data = randomBytes(64 * 1024);
    await os.call('PUT', `${base}/c/fragile`, { token, body: data });
    // Corrupt the replicas on the first two primaries (the ones a read tries first), keeping the size, so only the
    // MD5 check can tell.
    const ring = os.service.ring;
    const primaries = primaryNodes(ring, partitionOf(ring, `AUTH_${os.as.alice.projectId}`, 'c', 'fragile')).map((d) => d.name);
    const replicas = dataFiles().filter((f) => bytesIn(f)?.equals(data));
    assert.deepEqual(replicas.map((f) => f.split('/')[0]).sort(), [...primaries].sort());
    const bad = Buffer.from(data);
    bad[100] ^= 0xff;
    for (const device of primaries.slice(0, 2)) {
      const path = join(os.service.objectsDir, replicas.find((f) => f.startsWith(`${device}/`))!);
      const file = readFileSync(path);
      file[100] ^= 0xff;
      writeFileSync(path, file);
    }
    for (let i = 0; i < 3; i++) {
      const got = await os.call('GET', `${base}/c/fragile`, { token });
      assert.equal(got.status, 200);
      assert.ok(got.bytes.equals(data));
    }
    const quarantined = globSync('*/quarantined/objects/*/*.data', { cwd: os.service.objectsDir });
    assert.deepEqual(quarantined.map((f) => f.split('/')[0]).sort(), primaries.slice(0, 2).sort());
    assert.ok(quarantined.every((f) => bytesIn(f)?.equals(bad)));
    assert.ok(dataFiles().every((f) => !bytesIn(f)?.equals(bad)));
  });

  it('an upload cut off mid-body leaves no object and no temp files; a PUT without a length is 411', async () => {
    const status = await rawRequest(os.url, `PUT ${base}/c/cut HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${token}\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(1000)}`, 200);
    assert.notEqual(status, 201);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await os.call('HEAD', `${base}/c/cut`, { token })).status, 404);
    assert.equal(globSync('*/tmp/*', { cwd: os.service.objectsDir }).length, 0);
    const noLength = await rawRequest(os.url, `PUT ${base}/c/nolen HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${token}\r\nConnection: close\r\n\r\n`);
    assert.equal(noLength, 411);
  });

  it('hostile object names are refused or stored under a hash, never as paths', async () => {
    const root = join(os.service.objectsDir, '..');
    const parent = join(root, '..');
    const marker = randomBytes(8).toString('hex');
    const cases: [string, number][] = [
      [`${base}/c/..%2F..%2F..%2Fescape-${marker}`, 400],
      [`${base}/c/a%2F..%2F..%2Fescape-${marker}`, 400],
      [`${base}/c/nul%00-${marker}`, 400],
      [`${base}/c/${'x'.repeat(1025)}`, 400],
      [`${base}/c/%2Fabs%2Fescape-${marker}`, 201],
    ];
    for (const [path, want] of cases) assert.equal((await os.call('PUT', path, { token, body: 'x' })).status, want, path);
    assert.equal(globSync(`**/*${marker}*`, { cwd: root }).length, 0);
    assert.equal(globSync(`*${marker}*`, { cwd: parent }).length, 0);
    const listing = (await os.call('GET', `${base}/c?prefix=/`, { token })).text;
    assert.equal(listing, `/abs/escape-${marker}\n`);
  });
});
