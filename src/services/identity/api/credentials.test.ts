import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { loadKeyRing } from '../domain/key-repository.ts';
import { decryptCredentialBlob } from '../domain/credential-blob.ts';
import { startDelegationFixture, assertKeystoneError } from './test-delegation.ts';
import type { DelegationFixture, Reply } from './test-delegation.ts';

const PASSWORD = 'correct horse battery staple';
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('/v3/credentials', () => {
  let f: DelegationFixture;
  let projectId: string;
  let ownerId: string;
  let strangerId: string;
  let ownerToken: string;
  let strangerToken: string;
  let n = 0;

  before(async () => {
    f = await startDelegationFixture();
    projectId = await f.project();
    [ownerId, strangerId] = [await f.user(PASSWORD), await f.user(PASSWORD)];
    await f.grant(projectId, ownerId, 'member');
    await f.grant(projectId, strangerId, 'member');
    const scoped = async (userId: string) => {
      const r = await f.passwordAuth(userId, PASSWORD, { project: { id: projectId } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.token;
    };
    [ownerToken, strangerToken] = [await scoped(ownerId), await scoped(strangerId)];
  });
  after(async () => { await f?.close(); });

  const ec2Blob = () => ({ access: `access-${++n}-${process.pid}`, secret: `secret-${n}-${'s'.repeat(20)}` });
  const create = (credential: Record<string, unknown>, token = ownerToken): Promise<Reply> =>
    f.call('POST', '/v3/credentials', { token, body: { credential } });
  const createEc2 = async (blob = ec2Blob()) => {
    const r = await create({ user_id: ownerId, project_id: projectId, type: 'ec2', blob: JSON.stringify(blob) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { id: r.body.credential.id as string, blob };
  };
  const rawRow = (id: string) => {
    const db = new DatabaseSync(f.dbPath, { readOnly: true });
    try { return db.prepare('SELECT * FROM credentials WHERE id = ?').get(id) as Record<string, string> | undefined; } finally { db.close(); }
  };
  const credentialCount = (): number => {
    const db = new DatabaseSync(f.dbPath, { readOnly: true });
    try { return Number((db.prepare('SELECT count(*) AS n FROM credentials').get() as { n: number }).n); } finally { db.close(); }
  };

  it('a user creates, lists, shows, updates and deletes an ec2 credential named after its access key', async () => {
    const blob = ec2Blob();
    const r = await create({ user_id: ownerId, project_id: projectId, type: 'ec2', blob: JSON.stringify(blob) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const c = r.body.credential;
    assert.equal(c.id, sha256(blob.access), 'the id is the SHA-256 hex of the access key, as in Keystone');
    assert.deepEqual(JSON.parse(c.blob), blob);
    assert.equal(c.user_id, ownerId);
    assert.equal(c.project_id, projectId);
    assert.equal(c.type, 'ec2');
    assert.ok(c.links.self.endsWith(`/v3/credentials/${c.id}`));

    const ids = async (query: string) => (await f.call('GET', `/v3/credentials${query}`, { token: ownerToken })).body.credentials.map((x: { id: string }) => x.id);
    assert.ok((await ids('')).includes(c.id));
    assert.ok((await ids('?type=ec2')).includes(c.id));
    assert.ok((await ids(`?user_id=${ownerId}`)).includes(c.id));
    assert.ok(!(await ids('?type=totp')).includes(c.id));
    const listed = (await f.call('GET', '/v3/credentials', { token: ownerToken })).body.credentials.find((x: { id: string }) => x.id === c.id);
    assert.deepEqual(JSON.parse(listed.blob), blob, 'lists carry the decrypted blob');

    const shown = await f.call('GET', `/v3/credentials/${c.id}`, { token: ownerToken });
    assert.equal(shown.status, 200);
    assert.deepEqual(JSON.parse(shown.body.credential.blob), blob);

    const rotated = { ...blob, secret: 'a-new-secret-value' };
    const patched = await f.call('PATCH', `/v3/credentials/${c.id}`, { token: ownerToken, body: { credential: { blob: JSON.stringify(rotated) } } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(JSON.parse((await f.call('GET', `/v3/credentials/${c.id}`, { token: ownerToken })).body.credential.blob), rotated);
    assertKeystoneError(await f.call('PATCH', `/v3/credentials/${c.id}`, {
      token: ownerToken, body: { credential: { blob: JSON.stringify({ ...rotated, access: 'another-key' }) } },
    }), 400, 'the access key of an ec2 credential cannot change');

    assert.equal((await f.call('DELETE', `/v3/credentials/${c.id}`, { token: ownerToken })).status, 204);
    // As in Keystone, only those allowed to read any credential learn that an id does not exist.
    assertKeystoneError(await f.call('GET', `/v3/credentials/${c.id}`, { token: f.admin }), 404, 'after delete, as admin');
    assertKeystoneError(await f.call('GET', `/v3/credentials/${c.id}`, { token: ownerToken }), 403, 'after delete, as the former owner');
    assert.equal(rawRow(c.id), undefined);
  });

  it('a credential of another type gets a random id and keeps its free-text blob', async () => {
    const r = await create({ user_id: ownerId, type: 'totp', blob: 'GEZDGNBVGY3TQOJQGEZDGNBVGY' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.body.credential.id, /^[0-9a-f]{32}$/);
    assert.equal(r.body.credential.project_id, null);
    assert.equal(r.body.credential.blob, 'GEZDGNBVGY3TQOJQGEZDGNBVGY');
  });

  it('keeps blobs encrypted at rest with the credential key repository', async () => {
    const { id, blob } = await createEc2();
    const cert = await create({ user_id: ownerId, type: 'cert', blob: '-----BEGIN CERTIFICATE----- plaintext-marker' });
    assert.equal(cert.status, 201);
    for (const [rowId, secrets] of [[id, [blob.secret, blob.access]], [cert.body.credential.id, ['plaintext-marker', 'CERTIFICATE']]] as const) {
      const row = rawRow(rowId)!;
      const stored = JSON.stringify(row);
      const decoded = Buffer.from(row.encrypted_blob, 'base64').toString('latin1');
      for (const secret of secrets) {
        assert.ok(!stored.includes(secret), `the raw row does not contain ${secret}`);
        assert.ok(!decoded.includes(secret), `the decoded blob column does not contain ${secret}`);
      }
      assert.ok(row.key_hash, 'the row names its key');
    }
    // The blob opens with the credential keys, and only with them: not with the token keys.
    const row = rawRow(id)!;
    assert.deepEqual(JSON.parse(decryptCredentialBlob(loadKeyRing(f.credentialKeysDir), id, { encrypted_blob: row.encrypted_blob, key_hash: row.key_hash })!), blob);
    assert.equal(decryptCredentialBlob(loadKeyRing(f.tokenKeysDir), id, { encrypted_blob: row.encrypted_blob, key_hash: row.key_hash }), undefined);
    // Bound to its row: the same ciphertext under another id does not decrypt.
    assert.equal(decryptCredentialBlob(loadKeyRing(f.credentialKeysDir), 'f'.repeat(64), { encrypted_blob: row.encrypted_blob, key_hash: row.key_hash }), undefined);
  });

  it('another user can neither read, list, change nor delete them, nor create one for someone else', async () => {
    const { id, blob } = await createEc2();
    assertKeystoneError(await f.call('GET', `/v3/credentials/${id}`, { token: strangerToken }), 403, 'show');
    assertKeystoneError(await f.call('PATCH', `/v3/credentials/${id}`, { token: strangerToken, body: { credential: { type: 'cert' } } }), 403, 'update');
    assertKeystoneError(await f.call('DELETE', `/v3/credentials/${id}`, { token: strangerToken }), 403, 'delete');
    assertKeystoneError(await f.call('GET', `/v3/credentials/${'f'.repeat(64)}`, { token: strangerToken }), 403, 'an unknown id tells a non-admin nothing');
    for (const query of ['', `?user_id=${ownerId}`]) {
      const list = await f.call('GET', `/v3/credentials${query}`, { token: strangerToken });
      assert.equal(list.status, 200);
      assert.ok(!JSON.stringify(list.body).includes(blob.secret), `list${query} leaks no secret`);
      assert.ok(!list.body.credentials.some((x: { id: string }) => x.id === id));
    }
    const before = credentialCount();
    assertKeystoneError(await create({ user_id: ownerId, type: 'cert', blob: 'x' }, strangerToken), 403, 'create for another user');
    assertKeystoneError(await f.call('PATCH', `/v3/credentials/${id}`, { token: ownerToken, body: { credential: { user_id: strangerId } } }), 403, 'hand it to another user');
    assert.equal(credentialCount(), before);
    assert.equal(rawRow(id)!.user_id, ownerId);
    const asAdmin = await f.call('GET', `/v3/credentials/${id}`, { token: f.admin });
    assert.equal(asAdmin.status, 200, 'an admin reads any credential');
    assert.deepEqual(JSON.parse(asAdmin.body.credential.blob), blob);
  });

  it('a trust-scoped token reaches only credentials of its project, and ec2 ones it makes record the trust', async () => {
    const trusteeId = await f.user(PASSWORD);
    const other = await f.project();
    const elsewhere = await create({ user_id: ownerId, project_id: other, type: 'cert', blob: 'elsewhere' });
    const userLevel = await create({ user_id: ownerId, type: 'totp', blob: 'seed' });
    const trust = await f.call('POST', '/v3/OS-TRUST/trusts', {
      token: ownerToken,
      body: { trust: { trustor_user_id: ownerId, trustee_user_id: trusteeId, project_id: projectId, impersonation: true, roles: [{ name: 'member' }] } },
    });
    assert.equal(trust.status, 201, JSON.stringify(trust.body));
    const t = await f.passwordAuth(trusteeId, PASSWORD, { 'OS-TRUST:trust': { id: trust.body.trust.id } });
    assert.equal(t.status, 201);
    assertKeystoneError(await f.call('GET', `/v3/credentials/${elsewhere.body.credential.id}`, { token: t.token }), 403, 'another project');
    assertKeystoneError(await f.call('GET', `/v3/credentials/${userLevel.body.credential.id}`, { token: t.token }), 403, 'a user-level credential');
    const listed = (await f.call('GET', '/v3/credentials', { token: t.token })).body.credentials.map((x: { id: string }) => x.id);
    assert.ok(!listed.includes(elsewhere.body.credential.id) && !listed.includes(userLevel.body.credential.id));
    const made = await create({ user_id: ownerId, project_id: projectId, type: 'ec2', blob: JSON.stringify(ec2Blob()) }, t.token);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(JSON.parse(made.body.credential.blob).trust_id, trust.body.trust.id);
  });

  it('refuses bad input in Keystone\'s error format and creates nothing', async () => {
    const { blob } = await createEc2();
    const before = credentialCount();
    const cases: [string, Promise<Reply>, number][] = [
      ['ec2 without project_id', create({ user_id: ownerId, type: 'ec2', blob: JSON.stringify(ec2Blob()) }), 400],
      ['ec2 blob that is not JSON', create({ user_id: ownerId, project_id: projectId, type: 'ec2', blob: 'access=1' }), 400],
      ['ec2 blob without access', create({ user_id: ownerId, project_id: projectId, type: 'ec2', blob: '{"secret": "s"}' }), 400],
      ['the same access key twice', create({ user_id: ownerId, project_id: projectId, type: 'ec2', blob: JSON.stringify(blob) }), 409],
      ['no type', create({ user_id: ownerId, blob: 'x' }), 400],
      ['a blob that is not a string', create({ user_id: ownerId, type: 'cert', blob: { a: 1 } }), 400],
      ['no user_id', create({ type: 'cert', blob: 'x' }), 400],
      ['an unknown user (as admin)', create({ user_id: 'f'.repeat(32), type: 'cert', blob: 'x' }, f.admin), 400],
      ['malformed JSON', f.call('POST', '/v3/credentials', { token: ownerToken, raw: '{"credential": ' }), 400],
      ['no token', f.call('POST', '/v3/credentials', { body: { credential: { user_id: ownerId, type: 'cert', blob: 'x' } } }), 401],
    ];
    for (const [what, reply, status] of cases) assertKeystoneError(await reply, status, what);
    assert.equal(credentialCount(), before, 'no credential row was written');
  });
});
