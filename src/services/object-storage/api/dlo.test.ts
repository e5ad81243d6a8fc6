// Dynamic Large Objects through the Swift API: a manifest's GET and HEAD assemble the objects under its prefix in
// listing order, with the DLO ETag, ranges across segments, the manifest itself on request, copies and POST.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('object storage dynamic large objects', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  // Listing pages of 4 rows: a DLO of as many segments or more streams without a length, as one of over 10,000 does on Swift.
  const segs = [randomBytes(700), randomBytes(1), randomBytes(1300)];
  const whole = Buffer.concat(segs);
  const dloEtag = md5(segs.map(md5).join(''));

  before(async () => {
    os = await startObjectStorage({ container_listing_limit: 4 });
    token = os.as.alice.token;
    base = os.account(os.as.alice);
    for (const c of ['files', 'segs']) await os.call('PUT', `${base}/${c}`, { token });
    // Uploaded out of order: the listing's order is what counts.
    for (const i of [2, 0, 1]) await os.call('PUT', `${base}/segs/big/${String(i).padStart(3, '0')}`, { token, body: segs[i] });
    const created = await os.call('PUT', `${base}/files/big`, { token, body: '', headers: { 'x-object-manifest': 'segs/big/', 'content-type': 'application/x-big' } });
    assert.equal(created.status, 201);
  });
  after(() => os?.close());

  it('serves the segments under the prefix as one object, with the DLO ETag and length', async () => {
    const got = await os.call('GET', `${base}/files/big`, { token });
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(whole));
    assert.equal(got.headers.get('etag'), `"${dloEtag}"`);
    assert.equal(got.headers.get('x-object-manifest'), 'segs/big/');
    assert.equal(got.headers.get('content-type'), 'application/x-big');
    const head = await os.call('HEAD', `${base}/files/big`, { token });
    assert.equal(head.headers.get('content-length'), String(whole.length));
    assert.equal(head.headers.get('etag'), `"${dloEtag}"`);
    assert.equal((await os.call('GET', `${base}/files/big`, { token, headers: { 'if-none-match': dloEtag } })).status, 304);
    // The manifest itself, with its own (empty) body.
    const own = await os.call('GET', `${base}/files/big?multipart-manifest=get`, { token });
    assert.equal(own.bytes.length, 0);
    assert.equal(own.headers.get('etag'), md5(''));
    assert.equal(own.headers.get('x-object-manifest'), 'segs/big/');
  });

  it('serves one range across segments; several ranges get the whole object, as Swift\'s DLO does', async () => {
    const one = await os.call('GET', `${base}/files/big`, { token, headers: { range: 'bytes=650-710' } });
    assert.equal(one.status, 206);
    assert.equal(one.headers.get('content-range'), `bytes 650-710/${whole.length}`);
    assert.ok(one.bytes.equals(whole.subarray(650, 711)));
    const multi = await os.call('GET', `${base}/files/big`, { token, headers: { range: 'bytes=0-1,5-6' } });
    assert.equal(multi.status, 200);
    assert.ok(multi.bytes.equals(whole));
    assert.equal((await os.call('GET', `${base}/files/big`, { token, headers: { range: `bytes=${whole.length}-` } })).status, 416);
  });

  it('streams a DLO longer than one listing page without ETag or length, every segment in order', async () => {
    const parts = Array.from({ length: 7 }, () => randomBytes(333));
    for (const [i, p] of parts.entries()) await os.call('PUT', `${base}/segs/long/${i}`, { token, body: p });
    await os.call('PUT', `${base}/files/long`, { token, body: '', headers: { 'x-object-manifest': 'segs/long/' } });
    const got = await os.call('GET', `${base}/files/long`, { token });
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(Buffer.concat(parts)));
    assert.equal(got.headers.get('etag'), null);
    assert.equal(got.headers.get('content-length'), null);
    const head = await os.call('HEAD', `${base}/files/long`, { token });
    assert.equal(head.headers.get('content-length'), null);
    assert.equal(head.headers.get('x-object-manifest'), 'segs/long/');
  });

  it('copies a DLO as its bytes, or as a manifest with multipart-manifest=get; POST without the header makes it plain', async () => {
    const flat = await os.call('PUT', `${base}/files/flat`, { token, headers: { 'x-copy-from': 'files/big', 'content-length': '0' } });
    assert.equal(flat.status, 201);
    assert.equal(flat.headers.get('etag'), md5(whole));
    assert.equal((await os.call('HEAD', `${base}/files/flat`, { token })).headers.get('x-object-manifest'), null);
    await os.call('PUT', `${base}/files/manifest-copy?multipart-manifest=get`, { token, headers: { 'x-copy-from': 'files/big', 'content-length': '0' } });
    assert.ok((await os.call('GET', `${base}/files/manifest-copy`, { token })).bytes.equals(whole));
    assert.equal((await os.call('POST', `${base}/files/manifest-copy`, { token, headers: { 'x-object-meta-a': '1' } })).status, 202);
    const plain = await os.call('GET', `${base}/files/manifest-copy`, { token });
    assert.equal(plain.bytes.length, 0);
    assert.equal(plain.headers.get('x-object-manifest'), null);
  });

  it('refuses a malformed X-Object-Manifest, and a DLO whose segment container is gone answers 404', async () => {
    for (const bad of ['nocontainer', '/segs/x', 'segs/', 'segs/a?b']) {
      assert.equal((await os.call('PUT', `${base}/files/bad`, { token, body: '', headers: { 'x-object-manifest': bad } })).status, 400, bad);
    }
    await os.call('PUT', `${base}/files/orphan`, { token, body: '', headers: { 'x-object-manifest': 'nowhere/x' } });
    assert.equal((await os.call('GET', `${base}/files/orphan`, { token })).status, 404);
    assert.equal((await os.call('GET', `${base}/files/orphan?multipart-manifest=get`, { token })).status, 200);
  });

  it('lists the segments with the caller\'s rights: another project cannot assemble them through a readable manifest', async () => {
    await os.call('PUT', `${base}/shared`, { token, headers: { 'x-container-read': `${os.as.bob.projectId}:*` } });
    await os.call('PUT', `${base}/shared/dlo`, { token, body: '', headers: { 'x-object-manifest': 'segs/big/' } });
    assert.equal((await os.call('GET', `${base}/shared/dlo?multipart-manifest=get`, { token: os.as.bob.token })).status, 200);
    assert.equal((await os.call('GET', `${base}/shared/dlo`, { token: os.as.bob.token })).status, 403);
  });
});
