// Static Large Objects through the Swift API: manifest upload and its checks, GET/HEAD of the assembled object with
// ranges and preconditions, the manifest views, nested manifests, broken segments, copy and multipart-manifest=delete.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('object storage static large objects', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  const segs = [randomBytes(1000), randomBytes(2000), randomBytes(500)];
  const whole = Buffer.concat(segs);
  const manifest = segs.map((s, i) => ({ path: `/segs/s${i}`, etag: md5(s), size_bytes: s.length }));
  const sloEtag = md5(segs.map(md5).join(''));
  const put = (name: string, body: unknown, headers: Record<string, string> = {}) =>
    os.call('PUT', `${base}/files/${name}?multipart-manifest=put`, { token, body: typeof body === 'string' ? body : JSON.stringify(body), headers });

  before(async () => {
    os = await startObjectStorage();
    token = os.as.alice.token;
    base = os.account(os.as.alice);
    for (const c of ['files', 'segs']) assert.equal((await os.call('PUT', `${base}/${c}`, { token })).status, 201);
    for (const [i, s] of segs.entries()) assert.equal((await os.call('PUT', `${base}/segs/s${i}`, { token, body: s })).status, 201);
  });
  after(() => os?.close());

  it('stores a manifest whose GET and HEAD serve the segments as one object with the SLO ETag and size', async () => {
    const created = await put('big.bin', manifest, { 'x-object-meta-kind': 'slo', 'content-type': 'application/x-big' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('etag'), `"${sloEtag}"`);
    const got = await os.call('GET', `${base}/files/big.bin`, { token });
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(whole));
    assert.equal(got.headers.get('etag'), `"${sloEtag}"`);
    assert.equal(got.headers.get('x-static-large-object'), 'True');
    assert.equal(got.headers.get('x-object-meta-kind'), 'slo');
    assert.equal(got.headers.get('content-type'), 'application/x-big');
    const head = await os.call('HEAD', `${base}/files/big.bin`, { token });
    assert.equal(head.headers.get('content-length'), String(whole.length));
    assert.equal(head.headers.get('etag'), `"${sloEtag}"`);
    assert.match(head.headers.get('x-manifest-etag') ?? '', /^[0-9a-f]{32}$/);
    // The listing shows the large object's size and ETag; the stats count only the manifest's bytes.
    const [row] = JSON.parse((await os.call('GET', `${base}/files?format=json&prefix=big.bin`, { token })).text);
    assert.equal(row.bytes, whole.length);
    assert.equal(row.slo_etag, `"${sloEtag}"`);
    assert.equal(row.hash, head.headers.get('x-manifest-etag'));
    assert.equal(row.content_type, 'application/x-big');
    const stats = await os.call('HEAD', `${base}/files`, { token });
    assert.ok(Number(stats.headers.get('x-container-bytes-used')) < whole.length);
    const xml = (await os.call('GET', `${base}/files?format=xml&prefix=big.bin`, { token })).text;
    assert.match(xml, new RegExp(`<hash>${row.hash}</hash><bytes>${whole.length}</bytes><content_type>application/x-big</content_type>`));
  });

  it('serves ranges across segment boundaries, several ranges as multipart, and preconditions against the SLO ETag', async () => {
    await put('ranged.bin', manifest);
    const one = await os.call('GET', `${base}/files/ranged.bin`, { token, headers: { range: 'bytes=900-3099' } });
    assert.equal(one.status, 206);
    assert.equal(one.headers.get('content-range'), `bytes 900-3099/${whole.length}`);
    assert.ok(one.bytes.equals(whole.subarray(900, 3100)));
    const suffix = await os.call('GET', `${base}/files/ranged.bin`, { token, headers: { range: 'bytes=-700' } });
    assert.ok(suffix.bytes.equals(whole.subarray(whole.length - 700)));
    const multi = await os.call('GET', `${base}/files/ranged.bin`, { token, headers: { range: 'bytes=0-9,2995-3004' } });
    assert.equal(multi.status, 206);
    assert.equal(Number(multi.headers.get('content-length')), multi.bytes.length);
    assert.ok(multi.bytes.includes(whole.subarray(2995, 3005)));
    assert.match(multi.text, new RegExp(`Content-Range: bytes 2995-3004/${whole.length}`));
    assert.equal((await os.call('GET', `${base}/files/ranged.bin`, { token, headers: { range: `bytes=${whole.length}-` } })).status, 416);
    const status = async (headers: Record<string, string>) => (await os.call('GET', `${base}/files/ranged.bin`, { token, headers })).status;
    assert.equal(await status({ 'if-none-match': `"${sloEtag}"` }), 304);
    assert.equal(await status({ 'if-match': sloEtag }), 200);
    assert.equal(await status({ 'if-match': '"other"' }), 412);
  });

  it('honours segment ranges and inline data, and gives the manifest back as stored or as PUT (format=raw)', async () => {
    const inline = Buffer.from('-inline-');
    const body = [{ path: '/segs/s0', range: '10-19' }, { data: inline.toString('base64') }, { path: 'segs/s1', etag: md5(segs[1]), range: '-5' }];
    const created = await put('mixed', body);
    assert.equal(created.status, 201, created.text);
    const expected = Buffer.concat([segs[0].subarray(10, 20), inline, segs[1].subarray(segs[1].length - 5)]);
    assert.equal(created.headers.get('etag'), `"${md5(`${md5(segs[0])}:10-19;${md5(inline)}${md5(segs[1])}:1995-1999;`)}"`);
    assert.ok((await os.call('GET', `${base}/files/mixed`, { token })).bytes.equals(expected));
    const stored = await os.call('GET', `${base}/files/mixed?multipart-manifest=get`, { token });
    assert.equal(stored.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(stored.headers.get('x-static-large-object'), 'True');
    const segments = JSON.parse(stored.text);
    assert.deepEqual(segments.map((s: Record<string, unknown>) => [s.name, s.bytes, s.hash, s.range]), [
      ['/segs/s0', 1000, md5(segs[0]), '10-19'], [undefined, undefined, undefined, undefined], ['/segs/s1', 2000, md5(segs[1]), '1995-1999'],
    ]);
    const raw = await os.call('GET', `${base}/files/mixed?multipart-manifest=get&format=raw`, { token });
    assert.equal(raw.headers.get('etag'), md5(raw.bytes));
    const again = await put('mixed-again', raw.text);
    assert.equal(again.headers.get('etag'), created.headers.get('etag'));
  });

  it('refuses a manifest with bad segments, listing each problem, and stores nothing', async () => {
    const bad = await put('bad', [
      { path: '/segs/missing' }, { path: '/segs/s0', etag: md5('nope') }, { path: '/segs/s1', size_bytes: 1 }, { path: '/segs/s2', range: '600-700' },
    ], { accept: 'application/json' });
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.text), { Errors: [['/segs/missing', '404 Not Found'], ['/segs/s0', 'Etag Mismatch'], ['/segs/s1', 'Size Mismatch'], ['/segs/s2', 'Unsatisfiable Range']] });
    const plain = await put('bad', [{ path: '/segs/missing' }, { path: '/segs/s0' }]);
    assert.equal(plain.text, 'Errors:\n/segs/missing, 404 Not Found\n');
    assert.equal((await put('bad', '[{"path": "/segs"}]')).status, 400);
    assert.equal((await put('bad', manifest, { etag: md5('wrong') })).status, 422);
    assert.equal((await put('bad', Array.from({ length: 1001 }, () => ({ path: '/segs/s0' })))).status, 413);
    assert.equal((await os.call('PUT', `${base}/files/bad`, { token, body: 'x', headers: { 'x-static-large-object': 'True' } })).status, 400);
    assert.equal((await os.call('PUT', `${base}/files/bad?multipart-manifest=put`, { token, headers: { 'x-copy-from': 'segs/s0', 'content-length': '0' } })).status, 405);
    assert.equal((await os.call('HEAD', `${base}/files/bad`, { token })).status, 404);
  });

  it('with heartbeat=on answers 202 at once and reports the outcome in the body', async () => {
    const ok = await os.call('PUT', `${base}/files/beat?multipart-manifest=put&heartbeat=on`, { token, body: JSON.stringify(manifest), headers: { accept: 'application/json' } });
    assert.equal(ok.status, 202);
    const report = JSON.parse(ok.text);
    assert.deepEqual([report['Response Status'], report.Etag, report.Errors], ['201 Created', `"${sloEtag}"`, []]);
    assert.equal((await os.call('HEAD', `${base}/files/beat`, { token })).headers.get('etag'), `"${sloEtag}"`);
    const bad = await os.call('PUT', `${base}/files/beat2?multipart-manifest=put&heartbeat=on`, { token, body: '[{"path": "/segs/none"}]' });
    assert.equal(bad.status, 202);
    assert.match(bad.text, /Response Status: 400 Bad Request\nErrors:\n\/segs\/none, 404 Not Found\n$/);
    assert.equal((await os.call('HEAD', `${base}/files/beat2`, { token })).status, 404);
  });

  it('nests manifests: an SLO may be a segment of another, and ranges reach into it', async () => {
    await put('inner', manifest);
    const tail = randomBytes(300);
    await os.call('PUT', `${base}/segs/tail`, { token, body: tail });
    const outer = await put('outer', [{ path: '/files/inner', etag: sloEtag, size_bytes: whole.length }, { path: '/segs/tail' }]);
    assert.equal(outer.status, 201, outer.text);
    assert.equal(outer.headers.get('etag'), `"${md5(sloEtag + md5(tail))}"`);
    const all = Buffer.concat([whole, tail]);
    assert.ok((await os.call('GET', `${base}/files/outer`, { token })).bytes.equals(all));
    const part = await os.call('GET', `${base}/files/outer`, { token, headers: { range: 'bytes=2990-3600' } });
    assert.ok(part.bytes.equals(all.subarray(2990, 3601)));
    const stored = JSON.parse((await os.call('GET', `${base}/files/outer?multipart-manifest=get`, { token })).text);
    assert.equal(stored[0].sub_slo, true);
  });

  it('answers 409 when the first segment is gone or changed, and cuts the stream when a later one is', async () => {
    const parts = [randomBytes(100_000), randomBytes(100_000)];
    for (const [i, p] of parts.entries()) await os.call('PUT', `${base}/segs/frail${i}`, { token, body: p });
    await put('frail', parts.map((p, i) => ({ path: `/segs/frail${i}` })));
    await os.call('PUT', `${base}/segs/frail1`, { token, body: randomBytes(100_000) });
    await assert.rejects(os.call('GET', `${base}/files/frail`, { token }), 'a changed later segment closes the connection early');
    await os.call('DELETE', `${base}/segs/frail0`, { token });
    const gone = await os.call('GET', `${base}/files/frail`, { token });
    assert.equal(gone.status, 409);
    // HEAD does not read segments.
    assert.equal((await os.call('HEAD', `${base}/files/frail`, { token })).status, 200);
  });

  it('reads segments with the caller\'s rights: a public manifest over private segments is refused', async () => {
    await os.call('PUT', `${base}/public`, { token, headers: { 'x-container-read': '.r:*' } });
    const created = await os.call('PUT', `${base}/public/slo?multipart-manifest=put`, { token, body: JSON.stringify(manifest) });
    assert.equal(created.status, 201);
    assert.equal((await os.call('HEAD', `${base}/public/slo`)).status, 200);
    assert.equal((await os.call('GET', `${base}/public/slo`)).status, 409);
    assert.ok((await os.call('GET', `${base}/public/slo`, { token })).bytes.equals(whole));
  });

  it('copies an SLO as its assembled bytes, or as a manifest with multipart-manifest=get', async () => {
    await put('to-copy', manifest);
    const flat = await os.call('PUT', `${base}/files/flat`, { token, headers: { 'x-copy-from': 'files/to-copy', 'content-length': '0' } });
    assert.equal(flat.status, 201);
    assert.equal(flat.headers.get('etag'), md5(whole));
    const flatHead = await os.call('HEAD', `${base}/files/flat`, { token });
    assert.equal(flatHead.headers.get('x-static-large-object'), null);
    assert.ok((await os.call('GET', `${base}/files/flat`, { token })).bytes.equals(whole));
    const again = await os.call('COPY', `${base}/files/to-copy?multipart-manifest=get`, { token, headers: { destination: 'files/manifest-copy' } });
    assert.equal(again.status, 201);
    const head = await os.call('HEAD', `${base}/files/manifest-copy`, { token });
    assert.equal(head.headers.get('x-static-large-object'), 'True');
    assert.equal(head.headers.get('etag'), `"${sloEtag}"`);
  });

  it('multipart-manifest=delete removes the segments, nested ones too, then the manifest, with a bulk report', async () => {
    const own = [randomBytes(10), randomBytes(20), randomBytes(30)];
    for (const [i, p] of own.entries()) await os.call('PUT', `${base}/segs/gone${i}`, { token, body: p });
    await put('gone-inner', [{ path: '/segs/gone0' }, { path: '/segs/gone1' }]);
    await put('gone', [{ path: '/files/gone-inner' }, { path: '/segs/gone2' }]);
    const del = await os.call('DELETE', `${base}/files/gone?multipart-manifest=delete`, { token, headers: { accept: 'application/json' } });
    assert.equal(del.status, 200);
    assert.deepEqual(JSON.parse(del.text), { 'Response Status': '200 OK', 'Response Body': '', 'Number Deleted': 5, 'Number Not Found': 0, Errors: [] });
    for (const name of ['segs/gone0', 'segs/gone1', 'segs/gone2', 'files/gone-inner', 'files/gone']) {
      assert.equal((await os.call('HEAD', `${base}/${name}`, { token })).status, 404, name);
    }
    await os.call('PUT', `${base}/files/plain`, { token, body: 'p' });
    const notSlo = await os.call('DELETE', `${base}/files/plain?multipart-manifest=delete`, { token });
    assert.equal(notSlo.text, 'Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \nResponse Status: 400 Bad Request\nErrors:\n/files/plain, Not an SLO manifest\n');
    assert.equal((await os.call('HEAD', `${base}/files/plain`, { token })).status, 200);
    const bob = await os.call('DELETE', `${base}/files/big.bin?multipart-manifest=delete`, { token: os.as.bob.token, headers: { accept: 'application/json' } });
    assert.equal(JSON.parse(bob.text)['Response Status'], '400 Bad Request');
    assert.equal((await os.call('HEAD', `${base}/files/big.bin`, { token })).status, 200);
  });
});
