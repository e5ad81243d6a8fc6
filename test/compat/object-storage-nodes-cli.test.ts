// Object Storage scale-out through the openstack CLI: `stratus up` (proxy and a storage node serving d1, d2) and a
// second storage node started as another host would (`stratus serve --services object-storage-node` with its own
// data directory, the ring and keys/ copied over) serving d3, d4. Objects are saved byte for byte across both nodes,
// stay readable and writable with the second node stopped, and its replicas come back once it restarts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, globSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { until } from '#lib/test-wait.ts';
import { cliSkipReason, freePort, startCloud } from './harness.ts';
import type { RunningCloud } from './harness.ts';

const skip = cliSkipReason();
const REPO_ROOT = resolve(import.meta.dirname, '../..');

describe('object storage nodes on two hosts through the openstack CLI', { skip }, () => {
  let cloud: RunningCloud;
  let host2: string;
  let node2: ChildProcess | undefined;
  let env: Record<string, string>;
  const ports: number[] = [];

  /** `stratus serve --services object-storage-node` on "host 2"; resolves once it is ready. */
  const startNode2 = () => new Promise<ChildProcess>((done, fail) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/cmd/stratus.ts', 'serve', '--services', 'object-storage-node', '--no-bootstrap'], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, STRATUS_DATA_DIR: host2, STRATUS_OBJECT_STORAGE_STORAGE_NODE_PORT: String(ports[1]), STRATUS_LOG_LEVEL: 'warn' },
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); if (/^Stratus is ready/m.test(out)) done(child); });
    child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    child.once('exit', (code) => fail(new Error(`storage node exited (${code}): ${out}`)));
  });
  const stopNode2 = async () => {
    if (!node2 || node2.exitCode !== null) return;
    const exited = new Promise((d) => node2!.once('exit', d));
    node2.kill('SIGTERM');
    await exited;
  };
  const dataFiles = (root: string) => globSync('d*/objects/**/*.data', { cwd: join(root, 'objects') }).length;

  before(async () => {
    ports.push(await freePort(), await freePort());
    env = {
      STRATUS_OBJECT_STORAGE_DEVICES: [`d1:1:100@127.0.0.1:${ports[0]}`, `d2:2:100@127.0.0.1:${ports[0]}`, `d3:3:100@127.0.0.1:${ports[1]}`, `d4:4:100@127.0.0.1:${ports[1]}`].join(','),
      STRATUS_OBJECT_STORAGE_REPLICATOR_INTERVAL: '1', STRATUS_OBJECT_STORAGE_NODE_CHECK_INTERVAL: '1', STRATUS_OBJECT_STORAGE_FSYNC: 'false',
    };
    // The nodes' shared secret is configured rather than generated: host 1 through STRATUS_OBJECT_STORAGE_NODE_SECRET,
    // host 2 through stratus.object_storage_node_secret in its stratus.yaml.
    const secret = randomBytes(24).toString('base64url');
    cloud = await startCloud({ env: { ...env, STRATUS_OBJECT_STORAGE_STORAGE_NODE_PORT: String(ports[0]), STRATUS_OBJECT_STORAGE_NODE_SECRET: secret } });
    // What an operator copies to a new storage host: the ring (same hash suffix).
    host2 = mkdtempSync(join(tmpdir(), 'stratus-node2-'));
    mkdirSync(join(host2, 'objects'), { recursive: true });
    copyFileSync(join(cloud.dataDir, 'objects', 'object.ring.json'), join(host2, 'objects', 'object.ring.json'));
    writeFileSync(join(host2, 'stratus.yaml'), `stratus:\n  object_storage_node_secret: ${secret}\n`);
    node2 = await startNode2();
  });

  after(async () => {
    await stopNode2();
    if (cloud) {
      await cloud.stop().catch(() => undefined);
      rmSync(cloud.dataDir, { recursive: true, force: true });
    }
    if (host2) rmSync(host2, { recursive: true, force: true });
  });

  it('saves objects across both hosts, serves them with host 2 down, and repairs host 2 when it is back', async () => {
    const container = `nodes-${randomBytes(4).toString('hex')}`;
    const file = (name: string, bytes: Buffer) => { const p = join(cloud.dataDir, name); writeFileSync(p, bytes); return p; };
    const saved = async (object: string) => {
      const out = join(cloud.dataDir, `saved-${randomBytes(3).toString('hex')}`);
      await cloud.ok(['object', 'save', '--file', out, container, object]);
      return readFileSync(out);
    };
    const first = randomBytes(200_000);
    await cloud.ok(['container', 'create', container]);
    await cloud.ok(['object', 'create', '--name', 'first', container, file('first', first)]);
    assert.ok(dataFiles(host2) >= 1 && dataFiles(cloud.dataDir) >= 1 && dataFiles(host2) + dataFiles(cloud.dataDir) === 3, 'three replicas over both hosts');
    assert.deepEqual(await saved('first'), first);
    // Both hosts signed with the configured secret: neither generated one of its own.
    const generated = (root: string) => existsSync(join(root, 'keys', 'shared-secrets.yaml')) && readFileSync(join(root, 'keys', 'shared-secrets.yaml'), 'utf8').includes('object_storage_node');
    assert.ok(!generated(cloud.dataDir) && !generated(host2));

    await stopNode2();
    assert.deepEqual(await saved('first'), first, 'read with host 2 down');
    const second = randomBytes(100_000);
    const path = file('second', second);
    // The proxy writes to handoffs on host 1 once it has seen host 2 fail (a probe every second).
    await until('a write with host 2 down', async () => (await cloud.openstack(['object', 'create', '--name', 'second', container, path])).code === 0, { timeoutMs: 30_000, everyMs: 500 });
    assert.deepEqual(await saved('second'), second);
    const listed = await cloud.openstackJson<{ Name: string }[]>(['object', 'list', container]);
    assert.deepEqual(listed.map((o) => o.Name).sort(), ['first', 'second']);

    const before = dataFiles(host2);
    node2 = await startNode2();
    // Host 1's replicator pushes what host 2 missed and drains its handoffs: 3 replicas of each object again.
    await until('host 2 repaired', () => dataFiles(host2) > before && dataFiles(host2) + dataFiles(cloud.dataDir) === 6, { timeoutMs: 30_000, everyMs: 250 });
    assert.deepEqual(await saved('second'), second);
  });
});
