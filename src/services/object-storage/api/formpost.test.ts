// FormPOST through the Swift API: signed HTML form uploads without a token (HMAC-SHA1/256/512 over the path, redirect,
// limits and expiry with a TempURL key), their limits, redirects and refusals, with the multipart body streamed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

interface Form {
  path: string;
  redirect?: string;
  maxFileSize?: number;
  maxFileCount?: number;
  expires?: number;
  key?: string;
  digest?: 'sha1' | 'sha256' | 'sha512';
  signature?: string;
  extra?: Record<string, string>;
  files: { name: string; data: Buffer | string; type?: string }[];
}

const BOUNDARY = '----stratusFormBoundary7MA4YWxk';

function formBody(f: Form): Buffer {
  const fields: Record<string, string> = {
    ...(f.redirect !== undefined ? { redirect: f.redirect } : {}), max_file_size: String(f.maxFileSize ?? 1024 * 1024),
    max_file_count: String(f.maxFileCount ?? 10), expires: String(f.expires ?? Math.floor(Date.now() / 1000) + 300),
  };
  const text = `${f.path}\n${fields.redirect ?? ''}\n${fields.max_file_size}\n${fields.max_file_count}\n${fields.expires}`;
  fields.signature = f.signature ?? createHmac(f.digest ?? 'sha256', f.key ?? 'form-key').update(text).digest('hex');
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries({ ...fields, ...f.extra })) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  f.files.forEach((file, i) => {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file${i}"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`));
    parts.push(Buffer.from(file.data), Buffer.from('\r\n'));
  });
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

describe('object storage FormPOST', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  const post = (path: string, body: Buffer | ReadableStream<Uint8Array>) =>
    os.call('POST', path, { body, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } });
  // A redirect is checked, not followed.
  const postManual = (path: string, body: Buffer) => fetch(`${os.url}${path}`, { method: 'POST', body, redirect: 'manual', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } });
  before(async () => {
    os = await startObjectStorage();
    token = os.as.alice.token;
    base = os.account(os.as.alice);
    await os.call('PUT', `${base}/uploads`, { token });
    await os.call('POST', base, { token, headers: { 'x-account-meta-temp-url-key': 'form-key' } });
  });
  after(() => os?.close());

  it('stores every file of a signed form under the prefix and answers 201 (SHA-1, SHA-256 and SHA-512)', async () => {
    const big = randomBytes(700_000);
    for (const digest of ['sha1', 'sha256', 'sha512'] as const) {
      const path = `${base}/uploads/${digest}-`;
      const r = await post(path, formBody({ path, digest, files: [{ name: 'a.txt', data: 'hello', type: 'text/x-hello' }, { name: 'big.bin', data: big }] }));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.text, '201 Created');
      const a = await os.call('GET', `${base}/uploads/${digest}-a.txt`, { token });
      assert.equal(a.text, 'hello');
      assert.equal(a.headers.get('content-type'), 'text/x-hello');
      assert.ok((await os.call('GET', `${base}/uploads/${digest}-big.bin`, { token })).bytes.equals(big));
    }
  });

  it('streams a body sent in small chunks, with the boundary split across them', async () => {
    const path = `${base}/uploads/`;
    const data = randomBytes(200_000);
    const whole = formBody({ path, key: 'form-key', files: [{ name: 'chunked.bin', data }] });
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < whole.length; i += 997) c.enqueue(whole.subarray(i, i + 997));
        c.close();
      },
    });
    assert.equal((await post(path, stream)).status, 201);
    assert.ok((await os.call('GET', `${base}/uploads/chunked.bin`, { token })).bytes.equals(data));
  });

  it('redirects with status and message when the form names a redirect', async () => {
    const path = `${base}/uploads`;
    const r = await postManual(path, formBody({ path, redirect: 'https://app.example/done?x=1', files: [{ name: 'r.txt', data: 'r' }] }));
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), 'https://app.example/done?x=1&status=201&message=');
    const over = await postManual(path, formBody({ path, redirect: 'https://app.example/done', maxFileCount: 1, files: [{ name: 'o1', data: '1' }, { name: 'o2', data: '2' }] }));
    assert.equal(over.status, 303);
    assert.equal(over.headers.get('location'), 'https://app.example/done?status=400&message=max%20file%20count%20exceeded');
    assert.equal((await os.call('GET', `${base}/uploads/o1`, { token })).text, '1');
    assert.equal((await os.call('GET', `${base}/uploads/o2`, { token })).status, 404);
  });

  it('refuses a wrong key, an expired form and a tampered path with 401, and stores nothing', async () => {
    const path = `${base}/uploads/`;
    const wrong = await post(path, formBody({ path, key: 'other-key', files: [{ name: 'x1', data: 'x' }] }));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, 'FormPost: Invalid Signature');
    const expired = await post(path, formBody({ path, expires: Math.floor(Date.now() / 1000) - 10, files: [{ name: 'x2', data: 'x' }] }));
    assert.equal(expired.status, 401);
    assert.equal(expired.text, 'FormPost: Form Expired');
    const signedElsewhere = formBody({ path: `${base}/uploads/only-here/`, files: [{ name: 'x3', data: 'x' }] });
    assert.equal((await post(path, signedElsewhere)).status, 401);
    for (const name of ['x1', 'x2', 'x3']) assert.equal((await os.call('HEAD', `${base}/uploads/${name}`, { token })).status, 404);
  });

  it('answers 400 past max_file_size (nothing stored), for a form without files, and for a broken body', async () => {
    const path = `${base}/uploads/`;
    const big = await post(path, formBody({ path, maxFileSize: 10, files: [{ name: 'too-big', data: randomBytes(100) }] }));
    assert.equal(big.status, 400);
    assert.equal(big.text, 'FormPost: max_file_size exceeded');
    assert.equal((await os.call('HEAD', `${base}/uploads/too-big`, { token })).status, 404);
    const none = await post(path, formBody({ path, files: [] }));
    assert.equal(none.status, 400);
    assert.equal(none.text, '400 Bad Request\r\nFormPost: No Files To Process');
    const cut = formBody({ path, files: [{ name: 'cut', data: 'abcdef' }] });
    const broken = await post(path, cut.subarray(0, cut.length - 30));
    assert.equal(broken.status, 400);
    assert.equal((await os.call('HEAD', `${base}/uploads/cut`, { token })).status, 404);
    assert.equal((await post(path, Buffer.from('no boundary here'))).status, 400);
  });

  it('uses container keys too, and /info lists formpost', async () => {
    await os.call('PUT', `${base}/own-key`, { token, headers: { 'x-container-meta-temp-url-key': 'container-key' } });
    const path = `${base}/own-key`;
    assert.equal((await post(path, formBody({ path, key: 'container-key', files: [{ name: 'c.txt', data: 'c' }] }))).status, 201);
    assert.equal((await os.call('GET', `${base}/own-key/c.txt`, { token })).text, 'c');
    const info = JSON.parse((await os.call('GET', '/info')).text) as { formpost?: unknown };
    assert.ok(info.formpost);
  });
});
