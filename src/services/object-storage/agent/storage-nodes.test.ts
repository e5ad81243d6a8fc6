// Scale-out in one test process: two storage nodes on 127.0.0.1, each with its own directory ("host") and two of the
// ring's four devices, and the Swift proxy over both through the HTTP client. Objects get 3 replicas across the nodes;
// with one node stopped reads and quorum writes go on (handoffs on the other node); restarted, a replication pass
// puts every replica back on its primaries.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { until } from '#lib/test-wait.ts';
import { startTestIdentity } from '#services/identity/test-identity-personas.ts';
import type { TestIdentity } from '#services/identity/test-identity-personas.ts';
import { createObjectStorage, createObjectStorageNode, objectStorageOptions } from '../roles.ts';
import type { ObjectStorageNode, ObjectStorageOptions, ObjectStorageService } from '../roles.ts';
import { nameHash, partitionOf, primaryNodes } from '../domain/ring/ring.ts';
import type { Ring } from '../domain/ring/ring.ts';

const SECRET = 'two-node-secret';
const log = silentLogger();

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('object storage nodes on separate hosts', () => {
  let dir: string;
  let identity: TestIdentity['identity'];
  let proxy: ObjectStorageService;
  let url: string;
  let token: string;
  let base: string;
  let ring: Ring;
  const ports: number[] = [];
  const nodes: (ObjectStorageNode | undefined)[] = [];
  let options: ObjectStorageOptions;
  const hostDir = (i: number) => join(dir, `node${i}`);

  const startNode = async (i: number) => {
    const node = await createObjectStorageNode({
      options: { ...options, objects_dir: hostDir(i) }, dataDir: dir, address: { host: '127.0.0.1', port: ports[i] }, bindHost: '127.0.0.1', nodeSecret: SECRET, log,
    });
    assert.ok(node);
    nodes[i] = node;
    return node;
  };
  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${base}${path}`, { method, body, headers: { 'x-auth-token': token, ...headers } });
    return { status: res.status, text: await res.text() };
  };
  /** The nodes' directories holding the newest file of an object on each of its primaries (undefined: none there). */
  const onPrimaries = (object: string) => {
    const account = base.split('/').at(-1)!;
    const partition = partitionOf(ring, account, 'c', object);
    const hash = nameHash(ring, account, 'c', object);
    return primaryNodes(ring, partition).map((d) => {
      const i = d.port === ports[0] ? 0 : 1;
      const at = join(hostDir(i), d.name, 'objects', String(partition), hash);
      return existsSync(at) ? readdirSync(at).filter((f) => f.endsWith('.data') || f.endsWith('.ts')).sort().at(-1) : undefined;
    });
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'object-nodes-'));
    ports.push(await freePort(), await freePort());
    options = resolveOptions('object_storage', objectStorageOptions, {
      fsync: false, part_power: 6, replicator_interval: 0, auditor_interval: 0, node_check_interval: 0.2, node_timeout: 5,
      devices: [`d1:1:100@127.0.0.1:${ports[0]}`, `d2:2:100@127.0.0.1:${ports[0]}`, `d3:3:100@127.0.0.1:${ports[1]}`, `d4:4:100@127.0.0.1:${ports[1]}`],
    }, {});
    // The ring is built once and copied to every host, as an operator does (the hash suffix must be the same).
    ring = (await startNode(0)).ring;
    for (const d of [hostDir(1), join(dir, 'proxy')]) { mkdirSync(d, { recursive: true }); copyFileSync(join(hostDir(0), 'object.ring.json'), join(d, 'object.ring.json')); }
    await startNode(1);
    const started = await startTestIdentity(dir, ['swift']);
    identity = started.identity;
    proxy = await createObjectStorage({
      options: { ...options, objects_dir: join(dir, 'proxy') }, databaseUrl: `sqlite://${dir}/object-storage.sqlite`, dataDir: dir,
      authUrl: started.authUrl, servicePassword: started.servicePasswords.swift, log, nodeSecret: () => SECRET,
    });
    url = await proxy.listen('127.0.0.1', 0);
    token = started.as.alice.token;
    base = `/v1/AUTH_${started.as.alice.projectId}`;
    assert.equal((await call('PUT', '/c')).status, 201);
  });

  after(async () => {
    await proxy?.close();
    for (const n of nodes) await n?.close();
    await identity?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores 3 replicas across both nodes and reads them back', async () => {
    assert.deepEqual(nodes.map((n) => n?.devices), [['d1', 'd2'], ['d3', 'd4']]);
    assert.deepEqual(readdirSync(join(dir, 'proxy')), ['object.ring.json'], 'the proxy host holds no device');
    for (let i = 0; i < 8; i++) assert.equal((await call('PUT', `/c/o${i}`, `body ${i} `.repeat(100))).status, 201);
    for (let i = 0; i < 8; i++) {
      assert.equal((await call('GET', `/c/o${i}`)).text, `body ${i} `.repeat(100));
      assert.ok(onPrimaries(`o${i}`).every((f) => f?.endsWith('.data')), `o${i} on all 3 primaries`);
    }
    assert.equal((await call('GET', '/c/o1', undefined, { range: 'bytes=0-5' })).text, 'body 1');
  });

  it('with one node stopped, reads and quorum writes go on through the other', async () => {
    await nodes[1]!.close();
    for (let i = 0; i < 8; i++) assert.equal((await call('GET', `/c/o${i}`)).text, `body ${i} `.repeat(100), `o${i} read with node 2 down`);
    // Writes go to handoffs on node 1 once the proxy has seen node 2 fail (its next probe at the latest).
    await until('a write with node 2 down', async () => (await call('PUT', '/c/probe', 'p')).status === 201);
    for (let i = 0; i < 4; i++) assert.equal((await call('PUT', `/c/new${i}`, `new ${i}`)).status, 201);
    assert.equal((await call('PUT', '/c/o0', 'o0 rewritten')).status, 201);
    assert.equal((await call('DELETE', '/c/o1')).status, 204);
    assert.equal((await call('GET', '/c/new2')).text, 'new 2');
    assert.equal((await call('GET', '/c/o0')).text, 'o0 rewritten');
    assert.equal((await call('GET', '/c/o1')).status, 404);
  });

  it('restarted, a replication pass puts every replica back on its primaries', async () => {
    await startNode(1);
    const newest = (name: string) => onPrimaries(name);
    // A 201 alone does not show node 2 is back (a quorum on node 1 and its handoffs answers it too): the proxy uses
    // node 2 again once a write lands on every primary.
    await until('node 2 back in the proxy', async () => (await call('PUT', '/c/after', 'a')).status === 201 && newest('after').every((f) => f?.endsWith('.data')));
    assert.ok(['new0', 'new1', 'new2', 'new3'].some((n) => newest(n).includes(undefined)), 'node 2 missed writes');
    for (const n of nodes) await n!.storageNode.replicate();
    for (const n of nodes) await n!.storageNode.replicate();
    for (const n of ['new0', 'new1', 'new2', 'new3', 'probe']) assert.ok(newest(n).every((f) => f?.endsWith('.data')), `${n} on its primaries`);
    const o0 = newest('o0');
    assert.ok(o0.every((f) => f !== undefined && f === o0[0] && f.endsWith('.data')), 'the rewrite reached every primary');
    assert.ok(newest('o1').every((f) => f?.endsWith('.ts')), 'the delete reached every primary');
    // Handoff copies were drained: only primaries hold the new objects now.
    const account = base.split('/').at(-1)!;
    for (const n of ['new0', 'new1', 'new2', 'new3']) {
      const partition = partitionOf(ring, account, 'c', n);
      const holders = ring.devices.filter((d) => existsSync(join(hostDir(d.port === ports[0] ? 0 : 1), d.name, 'objects', String(partition), nameHash(ring, account, 'c', n))));
      assert.deepEqual(holders.map((d) => d.name).sort(), primaryNodes(ring, partition).map((d) => d.name).sort(), `${n} only on its primaries`);
    }
    // Node 1 stopped now: node 2 alone serves the newest data.
    await nodes[0]!.close();
    nodes[0] = undefined;
    for (const n of ['new0', 'new1', 'new2', 'new3']) assert.equal((await call('GET', `/c/${n}`)).text, `new ${n.slice(3)}`);
    assert.equal((await call('GET', '/c/o0')).text, 'o0 rewritten');
    assert.equal((await call('GET', '/c/o1')).status, 404);
  });
});
