// Who may do what: the project's member writes, its reader only reads, another project's member and anonymous
// callers get nothing — unless the container's ACLs grant reads (.r:*, .rlistings, project:user) or writes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

describe('object storage access', () => {
  let os: TestObjectStorage;
  let base: string;
  before(async () => {
    os = await startObjectStorage();
    base = os.account(os.as.alice);
    const token = os.as.alice.token;
    await os.call('PUT', `${base}/private`, { token });
    await os.call('PUT', `${base}/private/doc`, { token, body: 'secret' });
  });
  after(() => os?.close());

  it('the persona matrix: member and admin write, reader reads, another project and anonymous are refused', async () => {
    const { alice, rita, bob, admin } = os.as;
    const status = async (method: string, path: string, token?: string, body?: string) => (await os.call(method, path, { token, body })).status;
    assert.equal(await status('GET', `${base}/private/doc`, rita.token), 200);
    assert.equal(await status('HEAD', `${base}/private`, rita.token), 204);
    assert.equal(await status('GET', base, rita.token), 200);
    assert.equal(await status('PUT', `${base}/private/new`, rita.token, 'x'), 403);
    assert.equal(await status('DELETE', `${base}/private/doc`, rita.token), 403);
    assert.equal(await status('PUT', `${base}/other`, rita.token), 403);
    assert.equal(await status('POST', base, rita.token), 403);
    assert.equal(await status('GET', `${base}/private/doc`, bob.token), 403);
    assert.equal(await status('GET', `${base}/private`, bob.token), 403);
    assert.equal(await status('HEAD', base, bob.token), 403);
    assert.equal(await status('PUT', `${base}/private/bob`, bob.token, 'x'), 403);
    assert.equal(await status('GET', `${base}/private/doc`), 401);
    assert.equal(await status('GET', base), 401);
    assert.equal(await status('PUT', `${base}/private/anon`, undefined, 'x'), 401);
    assert.equal(await status('GET', `${base}/private/doc`, 'not-a-token'), 401);
    assert.equal(await status('PUT', `${base}/private/by-admin`, admin.token, 'x'), 201);
    assert.equal(await status('GET', `${base}/private/by-admin`, alice.token), 200);
    // Nothing refused was written.
    const names = (await os.call('GET', `${base}/private`, { token: alice.token })).text.split('\n').filter(Boolean);
    assert.deepEqual(names, ['by-admin', 'doc']);
    // Only the owner sees ACLs and the account's TempURL key.
    await os.call('POST', `${base}/private`, { token: alice.token, headers: { 'x-container-read': `${bob.projectId}:*` } });
    assert.equal((await os.call('HEAD', `${base}/private`, { token: alice.token })).headers.get('x-container-read'), `${bob.projectId}:*`);
    assert.equal((await os.call('HEAD', `${base}/private`, { token: rita.token })).headers.get('x-container-read'), null);
  });

  it('.r:* lets anyone read objects; .rlistings adds listings; writes still need a token', async () => {
    const token = os.as.alice.token;
    await os.call('PUT', `${base}/public`, { token, headers: { 'x-container-read': '.r:*' } });
    await os.call('PUT', `${base}/public/page.html`, { token, body: '<p>hi</p>' });
    const anon = await os.call('GET', `${base}/public/page.html`);
    assert.equal(anon.status, 200);
    assert.equal(anon.text, '<p>hi</p>');
    assert.equal((await os.call('HEAD', `${base}/public/page.html`)).status, 200);
    assert.equal((await os.call('GET', `${base}/public/missing`)).status, 404);
    assert.equal((await os.call('GET', `${base}/public`)).status, 401);
    assert.equal((await os.call('GET', `${base}/public/page.html`, { token: os.as.bob.token })).status, 200);
    await os.call('POST', `${base}/public`, { token, headers: { 'x-container-read': '.r:*,.rlistings' } });
    const listing = await os.call('GET', `${base}/public`);
    assert.equal(listing.status, 200);
    assert.equal(listing.text, 'page.html\n');
    assert.equal((await os.call('PUT', `${base}/public/x`, { body: 'x' })).status, 401);
    assert.equal((await os.call('DELETE', `${base}/public/page.html`)).status, 401);
    assert.equal((await os.call('POST', `${base}/public`, { headers: { 'x-container-read': '' } })).status, 401);
    assert.equal((await os.call('GET', base)).status, 401);
  });

  it('X-Container-Read and X-Container-Write with project:user grant another project\'s user reads and writes', async () => {
    const { alice, bob } = os.as;
    await os.call('PUT', `${base}/shared`, { token: alice.token, headers: { 'x-container-read': `${bob.projectId}:${bob.userId}`, 'x-container-write': `${bob.projectId}:*` } });
    assert.equal((await os.call('PUT', `${base}/shared/from-bob`, { token: bob.token, body: 'hello' })).status, 201);
    assert.equal((await os.call('GET', `${base}/shared/from-bob`, { token: bob.token })).text, 'hello');
    assert.equal((await os.call('GET', `${base}/shared`, { token: bob.token })).text, 'from-bob\n');
    assert.equal((await os.call('DELETE', `${base}/shared/from-bob`, { token: bob.token })).status, 204);
    // The write ACL does not reach container metadata or the container itself.
    assert.equal((await os.call('POST', `${base}/shared`, { token: bob.token, headers: { 'x-container-write': '*:*' } })).status, 403);
    assert.equal((await os.call('DELETE', `${base}/shared`, { token: bob.token })).status, 403);
    assert.equal((await os.call('GET', `${base}/private/doc`, { token: bob.token })).status, 200, 'the read ACL set in the first test');
  });
});
