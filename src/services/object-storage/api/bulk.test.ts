// Bulk operations through the Swift API: bulk delete of listed objects and containers, and archive extraction into
// an account or a container, with their reports in text, JSON and XML.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';
import { tarArchive } from './test-tar.ts';

describe('object storage bulk operations', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  const bulkDelete = (body: string, headers: Record<string, string> = {}, who = token) =>
    os.call('POST', `${base}?bulk-delete`, { token: who, body, headers: { 'content-type': 'text/plain', accept: 'application/json', ...headers } });
  const status = async (path: string) => (await os.call('HEAD', `${base}/${path}`, { token })).status;

  before(async () => {
    os = await startObjectStorage();
    token = os.as.alice.token;
    base = os.account(os.as.alice);
  });
  after(() => os?.close());

  it('bulk delete removes the listed objects, then the listed empty containers, and reports each outcome', async () => {
    for (const c of ['bd', 'bd-empty', 'bd-full']) await os.call('PUT', `${base}/${c}`, { token });
    for (const o of ['a', 'b c', 'ü/x']) await os.call('PUT', `${base}/bd/${encodeURIComponent(o)}`, { token, body: o });
    await os.call('PUT', `${base}/bd-full/keep`, { token, body: 'k' });
    // Containers first in the body: objects are still deleted before them.
    const body = ['/bd-empty', '/bd', '/bd/a', '/bd/b%20c', `/bd/${encodeURIComponent('ü/x')}`, '/bd/missing', '/bd-full', ''].join('\n');
    const r = await bulkDelete(body);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(JSON.parse(r.text), {
      'Response Status': '400 Bad Request', 'Response Body': '', 'Number Deleted': 5, 'Number Not Found': 1, Errors: [['/bd-full', '409 Conflict']],
    });
    for (const gone of ['bd/a', 'bd', 'bd-empty']) assert.equal(await status(gone), 404, gone);
    assert.equal(await status('bd-full/keep'), 200);
  });

  it('answers in plain text or XML, refuses other body types and too many names, and reports names it may not delete', async () => {
    await os.call('PUT', `${base}/bd2`, { token });
    await os.call('PUT', `${base}/bd2/x`, { token, body: 'x' });
    const bob = await bulkDelete('/bd2/x\n', { accept: 'text/plain' }, os.as.bob.token);
    assert.equal(bob.text, 'Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \nResponse Status: 400 Bad Request\nErrors:\n/bd2/x, 403 Forbidden\n');
    assert.equal(await status('bd2/x'), 200);
    const xml = await bulkDelete('/bd2/x\n/bd2\n', { accept: 'application/xml' });
    assert.equal(xml.text, '<delete>\n<number_deleted>2</number_deleted>\n<number_not_found>0</number_not_found>\n<response_body></response_body>\n'
      + '<response_status>200 OK</response_status>\n<errors>\n</errors>\n</delete>\n');
    const wrongType = JSON.parse((await bulkDelete('/x/y', { 'content-type': 'application/json' })).text);
    assert.equal(wrongType['Response Status'], '406 Not Acceptable');
    const tooMany = JSON.parse((await bulkDelete(Array.from({ length: 10001 }, (_, i) => `/c/${i}`).join('\n'))).text);
    assert.equal(tooMany['Response Status'], '413 Request Entity Too Large');
    assert.equal(tooMany['Response Body'], 'Maximum Bulk Deletes: 10000 per request');
    const empty = JSON.parse((await bulkDelete('\n')).text);
    assert.deepEqual([empty['Response Status'], empty['Response Body']], ['400 Bad Request', 'Invalid bulk delete.']);
    assert.equal((await os.call('POST', `${base}?bulk-delete`, { token, body: '/c/o', headers: { accept: 'image/png' } })).text.includes('406 Not Acceptable'), true);
  });

  it('extracts a tar.gz into the account: top-level directories become containers, other members are skipped', async () => {
    const archive = gzipSync(tarArchive([
      { name: 'ex1', type: '5' },
      { name: 'ex1/a.txt', data: 'alpha' },
      { name: './ex1/dir/b.json', data: '{"b":1}' },
      { name: 'ex2/c', data: 'gamma', pax: { 'SCHILY.xattr.user.mime_type': 'text/x-gamma', 'SCHILY.xattr.user.meta.color': 'blue', 'SCHILY.xattr.user.other': 'x' } },
      { name: 'top-level-file', data: 'ignored' },
      { name: 'ex1/link', type: '2' },
    ]));
    const r = await os.call('PUT', `${base}?extract-archive=tar.gz`, { token, body: archive, headers: { accept: 'application/json', 'x-object-meta-batch': '7' } });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), { 'Response Status': '201 Created', 'Response Body': '', 'Number Files Created': 3, Errors: [] });
    assert.equal((await os.call('GET', `${base}/ex1`, { token })).text, 'a.txt\ndir/b.json\n');
    const b = await os.call('GET', `${base}/ex1/dir/b.json`, { token });
    assert.equal(b.text, '{"b":1}');
    assert.equal(b.headers.get('content-type'), 'application/json');
    assert.equal(b.headers.get('x-object-meta-batch'), '7');
    const c = await os.call('HEAD', `${base}/ex2/c`, { token });
    assert.equal(c.headers.get('content-type'), 'text/x-gamma');
    assert.equal(c.headers.get('x-object-meta-color'), 'blue');
    assert.equal(c.headers.get('x-object-meta-other'), null);
  });

  it('extracts a plain tar below a container and prefix; failures are listed per file', async () => {
    await os.call('PUT', `${base}/ex3`, { token });
    const archive = tarArchive([{ name: 'one', data: '1' }, { name: `${'n'.repeat(1100)}`, data: 'too long', gnuLongName: true }, { name: 'two', data: '2' }]);
    const r = await os.call('PUT', `${base}/ex3/pre/?extract-archive=tar`, { token, body: archive });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain');
    assert.match(r.text, /^Number Files Created: 2\nResponse Body: \nResponse Status: 400 Bad Request\nErrors:\nex3\/pre\/n{1100}, 400 Bad Request\n$/);
    assert.equal((await os.call('GET', `${base}/ex3/pre/two`, { token })).text, '2');
  });

  it('stops at a truncated or corrupt archive leaving no partial object, and refuses unknown formats with 400', async () => {
    const archive = tarArchive([{ name: 'ex4/whole', data: 'w' }, { name: 'ex4/cut', data: Buffer.alloc(4096, 1) }]);
    const r = await os.call('PUT', `${base}?extract-archive=tar`, { token, body: archive.subarray(0, 512 * 4), headers: { accept: 'application/json' } });
    const report = JSON.parse(r.text);
    assert.equal(report['Response Status'], '400 Bad Request');
    assert.match(report['Response Body'], /^Invalid Tar File: unexpected end of data/);
    assert.equal(report['Number Files Created'], 1);
    assert.equal(await status('ex4/whole'), 200);
    assert.equal(await status('ex4/cut'), 404);
    const notGzip = JSON.parse((await os.call('PUT', `${base}?extract-archive=tar.gz`, { token, body: archive, headers: { accept: 'application/json' } })).text);
    assert.match(notGzip['Response Body'], /^Invalid Tar File: /);
    const notBzip2 = JSON.parse((await os.call('PUT', `${base}/ex4?extract-archive=tar.bz2`, { token, body: archive, headers: { accept: 'application/json' } })).text);
    assert.equal(notBzip2['Response Status'], '400 Bad Request');
    assert.match(notBzip2['Response Body'], /^Invalid Tar File: bzip2: /);
    assert.equal((await os.call('PUT', `${base}/ex4?extract-archive=zip`, { token, body: 'x' })).status, 400);
    const nothing = JSON.parse((await os.call('PUT', `${base}?extract-archive=tar`, { token, body: tarArchive([]), headers: { accept: 'application/json' } })).text);
    assert.deepEqual([nothing['Response Status'], nothing['Response Body']], ['400 Bad Request', 'Invalid Tar File: No Valid Files']);
  });

  it('extracts a tar.bz2 into a container, decompressed as it streams', async () => {
    // docs/readme.txt, docs/sub/data.csv and img/x.bin (5000 bytes of 7), tarred and compressed with bzip2 -9.
    const archive = Buffer.from('QlpoOTFBWSZTWZ/ykNYAALBfoNqQQAX/gAAAoIB+o59AAIAKCDAAubYgkAPU0AGgDQNqEaiek00aAAANAARSoNqNGg0AAxPUZE/dlT+hhpIL5Ahsrrm1G9gMbSMhCEM6hhtBW2j1JtqswiVF5Po6nMwDSwA3XXZAeDUFrRa7MjchWm6TBiEPFYNjDXwpoQIgxIDAskEGb3gQsNzXAWfZaogdASuNjQCCMaZUBYqUcDRWSCVG/dPEpCh/F3JFOFCQn/KQ1g==', 'base64');
    assert.equal((await os.call('PUT', `${base}/bz`, { token })).status, 201);
    const r = await os.call('PUT', `${base}/bz?extract-archive=tar.bz2`, { token, body: archive, headers: { accept: 'application/json' } });
    assert.deepEqual(JSON.parse(r.text), { 'Response Status': '201 Created', 'Response Body': '', 'Number Files Created': 3, Errors: [] });
    assert.equal((await os.call('GET', `${base}/bz/docs/sub/data.csv`, { token })).text, 'a,b\n1,2\n');
    assert.ok((await os.call('GET', `${base}/bz/img/x.bin`, { token })).bytes.equals(Buffer.alloc(5000, 7)));
  });

  it('extraction uses the caller\'s rights: another project can neither create containers nor write objects here', async () => {
    const archive = tarArchive([{ name: 'ex5/x', data: 'x' }]);
    const r = await os.call('PUT', `${base}?extract-archive=tar`, { token: os.as.bob.token, body: archive, headers: { accept: 'application/json' } });
    const report = JSON.parse(r.text);
    assert.equal(report['Number Files Created'], 0);
    assert.equal(report['Response Status'], '400 Bad Request');
    assert.equal(await status('ex5'), 404);
  });
});
