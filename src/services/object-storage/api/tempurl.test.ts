// TempURLs: signed with the account's (or container's) key for one method, path and expiry, they let a caller
// without a token read or write exactly that object until they expire; anything else is 401.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

const sign = (key: string, digest: string, method: string, expires: number, path: string) =>
  createHmac(digest, key).update(`${method}\n${expires}\n${path}`).digest('hex');

describe('object storage temp URLs', () => {
  let os: TestObjectStorage;
  let base: string;
  before(async () => {
    os = await startObjectStorage();
    base = os.account(os.as.alice);
    const token = os.as.alice.token;
    await os.call('POST', base, { token, headers: { 'x-account-meta-temp-url-key': 'account-secret' } });
    await os.call('PUT', `${base}/c`, { token, headers: { 'x-container-meta-temp-url-key': 'container-secret' } });
    await os.call('PUT', `${base}/c/report.pdf`, { token, body: 'pdf bytes' });
    await os.call('PUT', `${base}/c/other`, { token, body: 'other' });
  });
  after(() => os?.close());

  it('a GET URL signed with SHA1, SHA256 or SHA512 downloads the object as an attachment until it expires', async () => {
    const expires = Math.floor(Date.now() / 1000) + 60;
    const path = `${base}/c/report.pdf`;
    for (const digest of ['sha1', 'sha256', 'sha512']) {
      const got = await os.call('GET', `${path}?temp_url_sig=${sign('account-secret', digest, 'GET', expires, path)}&temp_url_expires=${expires}`);
      assert.equal(got.status, 200, digest);
      assert.equal(got.text, 'pdf bytes');
      assert.equal(got.headers.get('content-disposition'), `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    }
    const b64 = createHmac('sha256', 'container-secret').update(`GET\n${expires}\n${path}`).digest('base64');
    const prefixed = await os.call('GET', `${path}?temp_url_sig=sha256:${encodeURIComponent(b64)}&temp_url_expires=${expires}&inline`);
    assert.equal(prefixed.status, 200);
    assert.equal(prefixed.headers.get('content-disposition'), 'inline');
    const head = await os.call('HEAD', `${path}?temp_url_sig=${sign('account-secret', 'sha1', 'GET', expires, path)}&temp_url_expires=${expires}`);
    assert.equal(head.status, 200);
  });

  it('refuses a wrong key, another method, another object, an expired URL and copy sources with 401', async () => {
    const expires = Math.floor(Date.now() / 1000) + 60;
    const path = `${base}/c/report.pdf`;
    const q = (sig: string, exp = expires) => `?temp_url_sig=${sig}&temp_url_expires=${exp}`;
    assert.equal((await os.call('GET', path + q(sign('wrong', 'sha1', 'GET', expires, path)))).status, 401);
    assert.equal((await os.call('DELETE', path + q(sign('account-secret', 'sha1', 'GET', expires, path)))).status, 401);
    assert.equal((await os.call('GET', `${base}/c/other${q(sign('account-secret', 'sha1', 'GET', expires, path))}`)).status, 401);
    const past = Math.floor(Date.now() / 1000) - 1;
    assert.equal((await os.call('GET', path + q(sign('account-secret', 'sha1', 'GET', past, path), past))).status, 401);
    assert.equal((await os.call('GET', `${path}?temp_url_sig=abc&temp_url_expires=${expires}`)).status, 401);
    const putPath = `${base}/c/copy-target`;
    const copy = await os.call('PUT', putPath + q(sign('account-secret', 'sha1', 'PUT', expires, putPath)), { headers: { 'x-copy-from': '/c/other', 'content-length': '0' } });
    assert.equal(copy.status, 401);
    assert.equal((await os.call('HEAD', putPath, { token: os.as.alice.token })).status, 404);
  });

  it('a PUT URL uploads one object; a prefix URL reaches every object under its prefix', async () => {
    const expires = Math.floor(Date.now() / 1000) + 60;
    const path = `${base}/c/upload.bin`;
    const put = await os.call('PUT', `${path}?temp_url_sig=${sign('container-secret', 'sha256', 'PUT', expires, path)}&temp_url_expires=${expires}`, { body: 'uploaded' });
    assert.equal(put.status, 201);
    assert.equal((await os.call('GET', path, { token: os.as.alice.token })).text, 'uploaded');
    await os.call('PUT', `${base}/c/logs/a`, { token: os.as.alice.token, body: 'A' });
    const sig = sign('account-secret', 'sha1', 'GET', expires, `prefix:${base}/c/logs/`);
    const inPrefix = await os.call('GET', `${base}/c/logs/a?temp_url_sig=${sig}&temp_url_expires=${expires}&temp_url_prefix=logs/`);
    assert.equal(inPrefix.text, 'A');
    assert.equal((await os.call('GET', `${base}/c/other?temp_url_sig=${sig}&temp_url_expires=${expires}&temp_url_prefix=logs/`)).status, 401);
    // The keys are secrets: a reader of the project does not see them.
    assert.equal((await os.call('HEAD', base, { token: os.as.rita.token })).headers.get('x-account-meta-temp-url-key'), null);
    assert.equal((await os.call('HEAD', `${base}/c`, { token: os.as.rita.token })).headers.get('x-container-meta-temp-url-key'), null);
    const info = JSON.parse((await os.call('GET', '/info')).text);
    assert.deepEqual(info.tempurl.allowed_digests, ['sha1', 'sha256', 'sha512']);
    assert.equal(info.swift.max_object_name_length, 1024);
  });
});
