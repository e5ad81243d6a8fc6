// Accounts and containers through the Swift API: create, metadata, stats, listings in three formats with prefix,
// delimiter, markers, limit and reverse, and DELETE refused while a container holds objects.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

describe('object storage accounts and containers', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  before(async () => {
    os = await startObjectStorage();
    token = os.as.alice.token;
    base = os.account(os.as.alice);
  });
  after(() => os?.close());

  it('creates a container (201, then 202), sets and removes metadata, and deletes it only when empty', async () => {
    assert.equal((await os.call('PUT', `${base}/box`, { token, headers: { 'x-container-meta-owner': 'ops' } })).status, 201);
    assert.equal((await os.call('PUT', `${base}/box`, { token, headers: { 'x-container-meta-extra': 'yes' } })).status, 202);
    assert.equal((await os.call('POST', `${base}/box`, { token, headers: { 'x-remove-container-meta-owner': 'x', 'x-container-meta-tier': 'gold' } })).status, 204);
    const head = await os.call('HEAD', `${base}/box`, { token });
    assert.equal(head.status, 204);
    assert.equal(head.headers.get('x-container-meta-owner'), null);
    assert.equal(head.headers.get('x-container-meta-extra'), 'yes');
    assert.equal(head.headers.get('x-container-meta-tier'), 'gold');
    assert.equal(head.headers.get('x-container-object-count'), '0');
    assert.equal(head.headers.get('x-storage-policy'), 'Policy-0');

    await os.call('PUT', `${base}/box/thing`, { token, body: 'abc' });
    const conflict = await os.call('DELETE', `${base}/box`, { token });
    assert.equal(conflict.status, 409);
    assert.match(conflict.headers.get('content-type') ?? '', /text\/plain/);
    assert.equal((await os.call('DELETE', `${base}/box/thing`, { token })).status, 204);
    assert.equal((await os.call('DELETE', `${base}/box`, { token })).status, 204);
    assert.equal((await os.call('HEAD', `${base}/box`, { token })).status, 404);
    assert.equal((await os.call('DELETE', `${base}/box`, { token })).status, 404);
    assert.equal((await os.call('POST', `${base}/box`, { token })).status, 404);
  });

  it('lists objects with prefix, delimiter, marker, end_marker, limit and reverse in plain, JSON and XML', async () => {
    await os.call('PUT', `${base}/tree`, { token });
    const names = ['a.txt', 'b/1', 'b/2', 'b/c/3', 'c', 'd/'];
    for (const n of names) assert.equal((await os.call('PUT', `${base}/tree/${n}`, { token, body: n })).status, 201);
    const plain = async (q: string) => (await os.call('GET', `${base}/tree${q}`, { token })).text.split('\n').filter(Boolean);
    assert.deepEqual(await plain(''), names);
    assert.deepEqual(await plain('?delimiter=/'), ['a.txt', 'b/', 'c', 'd/']);
    assert.deepEqual(await plain('?prefix=b/&delimiter=/'), ['b/1', 'b/2', 'b/c/']);
    assert.deepEqual(await plain('?marker=b/1&end_marker=c'), ['b/2', 'b/c/3']);
    assert.deepEqual(await plain('?limit=2'), ['a.txt', 'b/1']);
    assert.deepEqual(await plain('?reverse=true&limit=3'), ['d/', 'c', 'b/c/3']);
    assert.deepEqual(await plain('?reverse=on&delimiter=/'), ['d/', 'c', 'b/', 'a.txt']);
    assert.deepEqual(await plain('?prefix=zzz'), []);
    const empty = await os.call('GET', `${base}/tree?prefix=zzz`, { token });
    assert.equal(empty.status, 204);

    const json = JSON.parse((await os.call('GET', `${base}/tree?format=json&delimiter=/&prefix=b/`, { token })).text);
    assert.deepEqual(json.map((e: { name?: string; subdir?: string }) => e.name ?? e.subdir), ['b/1', 'b/2', 'b/c/']);
    assert.equal(json[0].bytes, 3);
    assert.equal(json[0].hash, createHash('md5').update('b/1').digest('hex'));
    assert.match(json[0].last_modified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    // fetch labels a string body text/plain: the listing shows the type the object was stored with.
    assert.equal(json[0].content_type, 'text/plain;charset=UTF-8');
    const xml = await os.call('GET', `${base}/tree?limit=1`, { token, headers: { accept: 'application/xml' } });
    assert.match(xml.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<container name="tree"><object><name>a.txt<\/name><hash>[0-9a-f]{32}<\/hash><bytes>5<\/bytes>/);
    assert.equal((await os.call('GET', `${base}/tree?limit=100001`, { token })).status, 412);
    assert.equal((await os.call('GET', `${base}/tree?limit=x`, { token })).status, 400);
    assert.equal((await os.call('GET', `${base}/tree?format=yaml`, { token })).status, 400);
  });

  it('the account shows container, object and byte counts, lists containers and keeps metadata', async () => {
    const account = os.account(os.as.bob);
    const bob = os.as.bob.token;
    assert.equal((await os.call('HEAD', account, { token: bob })).headers.get('x-account-container-count'), '0');
    for (const c of ['one', 'two', 'three']) await os.call('PUT', `${account}/${c}`, { token: bob });
    await os.call('PUT', `${account}/one/x`, { token: bob, body: '12345' });
    await os.call('PUT', `${account}/two/y`, { token: bob, body: '1' });
    assert.equal((await os.call('POST', account, { token: bob, headers: { 'x-account-meta-project': 'p', 'x-account-meta-temp-url-key': 'k' } })).status, 204);
    const head = await os.call('HEAD', account, { token: bob });
    assert.equal(head.status, 204);
    assert.equal(head.headers.get('x-account-container-count'), '3');
    assert.equal(head.headers.get('x-account-object-count'), '2');
    assert.equal(head.headers.get('x-account-bytes-used'), '6');
    assert.equal(head.headers.get('x-account-meta-project'), 'p');
    assert.equal(head.headers.get('x-account-meta-temp-url-key'), 'k');
    const list = JSON.parse((await os.call('GET', `${account}?format=json`, { token: bob })).text);
    assert.deepEqual(list.map((c: { name: string; count: number; bytes: number }) => [c.name, c.count, c.bytes]), [['one', 1, 5], ['three', 0, 0], ['two', 1, 1]]);
    assert.deepEqual((await os.call('GET', `${account}?marker=one&limit=1`, { token: bob })).text, 'three\n');
    const tooBig = await os.call('POST', account, { token: bob, headers: { [`x-account-meta-${'n'.repeat(129)}`]: 'v' } });
    assert.equal(tooBig.status, 400);
  });

  it('container quotas refuse uploads past Quota-Bytes or Quota-Count with 413', async () => {
    assert.equal((await os.call('PUT', `${base}/quota`, { token, headers: { 'x-container-meta-quota-bytes': '10', 'x-container-meta-quota-count': '2' } })).status, 201);
    assert.equal((await os.call('PUT', `${base}/quota/a`, { token, body: '123456' })).status, 201);
    const over = await os.call('PUT', `${base}/quota/b`, { token, body: '123456' });
    assert.equal(over.status, 413);
    assert.equal(over.text, 'Upload exceeds quota.');
    assert.equal((await os.call('PUT', `${base}/quota/a`, { token, body: '1234' })).status, 201, 'used bytes plus the new size may reach the quota (6 + 4 = 10)');
    assert.equal((await os.call('PUT', `${base}/quota/b`, { token, body: '1' })).status, 201);
    assert.equal((await os.call('PUT', `${base}/quota/c`, { token, body: '' })).status, 413, 'a third object passes Quota-Count');
    assert.equal((await os.call('POST', `${base}/quota`, { token, headers: { 'x-container-meta-quota-bytes': 'lots' } })).status, 400);
    assert.equal((await os.call('HEAD', `${base}/quota`, { token })).headers.get('x-container-meta-quota-bytes'), '10');
  });

  it('refuses bad names and bad metadata with 400 and writes nothing', async () => {
    const long = 'c'.repeat(257);
    assert.equal((await os.call('PUT', `${base}/${long}`, { token })).status, 400);
    assert.equal((await os.call('PUT', `${base}/nul%00name`, { token })).status, 400);
    assert.equal((await os.call('PUT', `${base}/bad%ZZ`, { token })).status, 400);
    assert.equal((await os.call('PUT', `/v1/NOTAUTH_x/c`, { token })).status, 400);
    assert.equal((await os.call('PUT', `${base}/metac`, { token, headers: { 'x-container-meta-k': 'v'.repeat(257) } })).status, 400);
    assert.equal((await os.call('HEAD', `${base}/metac`, { token })).status, 404);
    const names = (await os.call('GET', base, { token })).text;
    assert.ok(!names.includes('nul') && !names.includes(long));
  });
});
