// Object versioning through the Swift API: X-Versions-Location (stack) and X-History-Location (history) archive the
// previous version under Swift's names, a stack-mode DELETE brings it back, and bad settings are refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

describe('object storage versioned writes', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  const list = async (container: string, prefix = '') =>
    JSON.parse((await os.call('GET', `${base}/${container}?format=json&prefix=${encodeURIComponent(prefix)}`, { token })).text) as { name: string; content_type: string; bytes: number }[];
  before(async () => {
    os = await startObjectStorage();
    token = os.as.alice.token;
    base = os.account(os.as.alice);
  });
  after(() => os?.close());

  it('stack mode: each overwrite archives the previous version as <len><name>/<timestamp>, each DELETE pops one back', async () => {
    assert.equal((await os.call('PUT', `${base}/stack-archive`, { token })).status, 201);
    assert.equal((await os.call('PUT', `${base}/stack`, { token, headers: { 'x-versions-location': 'stack-archive' } })).status, 201);
    assert.equal((await os.call('HEAD', `${base}/stack`, { token })).headers.get('x-versions-location'), 'stack-archive');
    const put1 = await os.call('PUT', `${base}/stack/doc.txt`, { token, body: 'one', headers: { 'x-object-meta-n': '1', 'content-type': 'text/x-one' } });
    await os.call('PUT', `${base}/stack/doc.txt`, { token, body: 'two' });
    await os.call('PUT', `${base}/stack/doc.txt`, { token, body: 'three' });
    const archived = await list('stack-archive');
    assert.deepEqual(archived.map((o) => o.name.split('/')[0]), ['007doc.txt', '007doc.txt']);
    assert.equal(archived[0].name, `007doc.txt/${put1.headers.get('x-timestamp')}`);
    assert.equal((await os.call('GET', `${base}/stack-archive/${archived[0].name}`, { token })).text, 'one');
    assert.equal((await os.call('GET', `${base}/stack/doc.txt`, { token })).text, 'three');

    assert.equal((await os.call('DELETE', `${base}/stack/doc.txt`, { token })).status, 204);
    assert.equal((await os.call('GET', `${base}/stack/doc.txt`, { token })).text, 'two');
    assert.equal((await os.call('DELETE', `${base}/stack/doc.txt`, { token })).status, 204);
    const back = await os.call('GET', `${base}/stack/doc.txt`, { token });
    assert.equal(back.text, 'one');
    assert.equal(back.headers.get('x-object-meta-n'), '1', 'the restored version keeps its metadata');
    assert.equal(back.headers.get('content-type'), 'text/x-one');
    assert.deepEqual(await list('stack-archive'), []);
    assert.equal((await os.call('DELETE', `${base}/stack/doc.txt`, { token })).status, 204);
    assert.equal((await os.call('GET', `${base}/stack/doc.txt`, { token })).status, 404);
    assert.equal((await os.call('DELETE', `${base}/stack/doc.txt`, { token })).status, 404);
  });

  it('history mode: a DELETE archives the object and writes a delete marker; the object is gone', async () => {
    await os.call('PUT', `${base}/hist-archive`, { token });
    await os.call('PUT', `${base}/hist`, { token });
    assert.equal((await os.call('POST', `${base}/hist`, { token, headers: { 'x-history-location': 'hist-archive' } })).status, 204);
    const head = await os.call('HEAD', `${base}/hist`, { token });
    assert.equal(head.headers.get('x-history-location'), 'hist-archive');
    assert.equal(head.headers.get('x-versions-location'), null);
    await os.call('PUT', `${base}/hist/a`, { token, body: 'v1' });
    await os.call('PUT', `${base}/hist/a`, { token, body: 'v2' });
    assert.equal((await os.call('DELETE', `${base}/hist/a`, { token })).status, 204);
    assert.equal((await os.call('GET', `${base}/hist/a`, { token })).status, 404);
    const archived = await list('hist-archive', '001a/');
    assert.equal(archived.length, 3);
    const marker = 'application/x-deleted;swift_versions_deleted=1';
    assert.deepEqual(archived.map((o) => o.content_type === marker), [false, false, true]);
    assert.equal((await os.call('GET', `${base}/hist-archive/${archived[1].name}`, { token })).text, 'v2');
    assert.equal(archived[2].bytes, 0);

    // Switched to stack mode, a DELETE of the gone object restores the last version and drops the marker.
    await os.call('POST', `${base}/hist`, { token, headers: { 'x-versions-location': 'hist-archive' } });
    assert.equal((await os.call('DELETE', `${base}/hist/a`, { token })).status, 204);
    assert.equal((await os.call('GET', `${base}/hist/a`, { token })).text, 'v2');
    assert.deepEqual((await list('hist-archive', '001a/')).map((o) => o.content_type === marker), [false]);
  });

  it('refuses both locations at once (400), a name with a slash (412), and a missing archive fails the overwrite (412)', async () => {
    const both = await os.call('PUT', `${base}/bad`, { token, headers: { 'x-versions-location': 'a', 'x-history-location': 'b' } });
    assert.equal(both.status, 400);
    assert.match(both.text, /Only one of X-Versions-Location or X-History-Location may be specified/);
    assert.equal((await os.call('HEAD', `${base}/bad`, { token })).status, 404, 'nothing was created');
    assert.equal((await os.call('PUT', `${base}/bad`, { token, headers: { 'x-versions-location': 'a/b' } })).status, 412);
    assert.equal((await os.call('PUT', `${base}/orphan`, { token, headers: { 'x-versions-location': 'no-such-archive' } })).status, 201);
    assert.equal((await os.call('PUT', `${base}/orphan/x`, { token, body: 'first' })).status, 201, 'nothing to archive yet');
    assert.equal((await os.call('PUT', `${base}/orphan/x`, { token, body: 'second' })).status, 412);
    assert.equal((await os.call('GET', `${base}/orphan/x`, { token })).text, 'first', 'the refused overwrite changed nothing');

    // An empty value or X-Remove-Versions-Location turns versioning off.
    assert.equal((await os.call('POST', `${base}/orphan`, { token, headers: { 'x-remove-versions-location': 'x' } })).status, 204);
    assert.equal((await os.call('HEAD', `${base}/orphan`, { token })).headers.get('x-versions-location'), null);
    assert.equal((await os.call('PUT', `${base}/orphan/x`, { token, body: 'second' })).status, 201);
  });

  it('archives for a user with write access to the versioned container only, and /info lists versioned_writes', async () => {
    const { bob } = os.as;
    await os.call('PUT', `${base}/team-archive`, { token });
    await os.call('PUT', `${base}/team`, { token, headers: { 'x-versions-location': 'team-archive', 'x-container-write': `${bob.projectId}:*` } });
    assert.equal((await os.call('PUT', `${base}/team/f`, { token: bob.token, body: 'bob 1' })).status, 201);
    assert.equal((await os.call('PUT', `${base}/team/f`, { token: bob.token, body: 'bob 2' })).status, 201);
    assert.equal((await list('team-archive')).length, 1);
    assert.equal((await os.call('PUT', `${base}/team-archive/direct`, { token: bob.token, body: 'x' })).status, 403);
    const info = JSON.parse((await os.call('GET', '/info')).text) as { versioned_writes?: { allowed_flags: string[] } };
    assert.deepEqual(info.versioned_writes?.allowed_flags, ['x-versions-location', 'x-history-location']);
  });
});
