// Listing repair after a crash (issue 7): a proxy killed with SIGKILL after an object's replicas were written but
// before its listing was updated — a PUT, a DELETE, a POST — leaves pending records; once a proxy runs again over the same
// data directory, one object updater pass makes the listing and the container and account stats match the replicas.
// The kill lands in that window because the test holds the SQLite write lock while the request runs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { globSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { until } from '#lib/test-wait.ts';
import { startTestIdentity } from '#services/identity/test-identity-personas.ts';
import type { TestIdentity } from '#services/identity/test-identity-personas.ts';
import { nameHash } from '../domain/ring/ring.ts';
import { createObjectStorage, objectStorageOptions } from '../roles.ts';
import type { ObjectStorageService } from '../roles.ts';
import { crashTestOptions } from './test-proxy-child.ts';

describe('object storage listing repair: the object updater after a crash', () => {
  let dir: string;
  let identity: TestIdentity;
  let child: ChildProcess | undefined;
  let restarted: ObjectStorageService | undefined;
  const objects = () => join(dir, 'objects');
  const pendingRecords = () => readdirSync(join(objects(), 'async_pending')).filter((n) => n.endsWith('.json'));

  /** Starts the proxy as a child process; resolves to its URL. */
  const startChild = () => new Promise<string>((done, fail) => {
    const p = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'test-proxy-child.ts')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STRATUS_TEST_DATA_DIR: dir, STRATUS_TEST_AUTH_URL: identity.authUrl, STRATUS_TEST_SWIFT_PASSWORD: identity.servicePasswords.swift },
    });
    child = p;
    let out = '';
    p.stdout!.on('data', (c: Buffer) => { out += c.toString(); const m = /^(http:\S+)$/m.exec(out); if (m) done(m[1]); });
    p.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    p.once('exit', (code) => fail(new Error(`proxy child exited (${code}): ${out}`)));
  });
  const kill = async () => {
    const p = child!;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((d) => p.once('exit', d));
    p.kill('SIGKILL');
    await exited;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'object-storage-repair-'));
    identity = await startTestIdentity(dir, ['swift']);
  });
  after(async () => {
    if (child) await kill();
    await restarted?.close();
    await identity?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists an object whose PUT died before its listing update, unlists one whose DELETE did, and lists a POST\'s content type, after one pass', async () => {
    const token = identity.as.alice.token;
    const account = `AUTH_${identity.as.alice.projectId}`;
    const call = (url: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/v1/${account}${path}`, { method, headers: { 'x-auth-token': token, ...headers }, body });
    const paths = (name: string, ext: string) => {
      const ring = JSON.parse(readFileSync(join(objects(), 'object.ring.json'), 'utf8')) as { hashSuffix: string };
      return globSync(`*/objects/*/${nameHash(ring, account, 'c', name)}/*.${ext}`, { cwd: objects() });
    };
    const files = (name: string, ext: string) => paths(name, ext).length;

    let url = await startChild();
    assert.equal((await call(url, 'PUT', '/c')).status, 201);
    assert.equal((await call(url, 'PUT', '/c/kept', 'kept')).status, 201);
    assert.equal((await call(url, 'PUT', '/c/doomed', 'doomed!')).status, 201);
    assert.deepEqual(pendingRecords(), [], 'a write that completes leaves no pending record');

    // The database is locked: the replicas are written, then the listing update waits — and the process dies.
    const crashDuring = async (method: string, name: string, written: () => boolean, opts: { body?: string; headers?: Record<string, string> } = {}) => {
      const records = pendingRecords().length;
      const lock = new DatabaseSync(join(dir, 'object-storage.sqlite'));
      lock.exec('BEGIN IMMEDIATE');
      try {
        call(url, method, `/c/${name}`, opts.body, opts.headers).catch(() => undefined);
        await until(`the ${method} of ${name} reaching all three replicas`, () => written() && pendingRecords().length === records + 1, { timeoutMs: 30_000 });
        await kill();
      } finally {
        lock.exec('ROLLBACK');
        lock.close();
      }
    };
    await crashDuring('PUT', 'crashed', () => files('crashed', 'data') === 3, { body: 'fifteen bytes!!' });
    url = await startChild();
    await crashDuring('DELETE', 'doomed', () => files('doomed', 'ts') === 3);
    url = await startChild();
    const posted = () => paths('kept', 'meta.json').filter((p) => readFileSync(join(objects(), p), 'utf8').includes('text/x-posted')).length === 3;
    await crashDuring('POST', 'kept', posted, { headers: { 'content-type': 'text/x-posted' } });
    assert.equal(pendingRecords().length, 3);

    // A restart: the listing is still what the database had when the process died.
    restarted = await createObjectStorage({
      options: resolveOptions('object_storage', objectStorageOptions, crashTestOptions, {}),
      databaseUrl: `sqlite://${dir}/object-storage.sqlite`, dataDir: dir, authUrl: identity.authUrl, servicePassword: identity.servicePasswords.swift, log: silentLogger(),
    });
    url = await restarted.listen('127.0.0.1', 0);
    const listing = async () => (await (await call(url, 'GET', '/c')).text()).trim().split('\n').sort();
    assert.deepEqual(await listing(), ['doomed', 'kept']);
    const kept = async () => ((await (await call(url, 'GET', '/c?format=json')).json()) as { name: string; content_type: string }[]).find((o) => o.name === 'kept');
    assert.equal((await kept())?.content_type, 'text/plain;charset=UTF-8', 'the crashed POST\'s content type is not listed yet');
    assert.equal((await call(url, 'GET', '/c/crashed')).status, 200, 'the crashed PUT is readable: its replicas were written');

    const report = await restarted.updater.run();
    assert.deepEqual(report, { records: 3, listed: 2, unlisted: 1, dropped: 0, failures: 0 });
    assert.deepEqual(pendingRecords(), []);
    assert.deepEqual(await listing(), ['crashed', 'kept']);
    assert.equal((await kept())?.content_type, 'text/x-posted');
    const container = await call(url, 'HEAD', '/c');
    assert.equal(container.headers.get('x-container-object-count'), '2');
    assert.equal(container.headers.get('x-container-bytes-used'), String('kept'.length + 'fifteen bytes!!'.length));
    const acct = await call(url, 'HEAD', '');
    assert.equal(acct.headers.get('x-account-object-count'), '2');
    assert.equal(acct.headers.get('x-account-bytes-used'), String('kept'.length + 'fifteen bytes!!'.length));
    // Nothing left to do: a second pass finds no record.
    assert.equal((await restarted.updater.run()).records, 0);
  });
});
