import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '#lib/db/index.ts';
import type { IdentityTables } from '../db/tables.ts';
import { consumeTrustUse } from '../provider/trusts.ts';
import { startDelegationFixture, assertKeystoneError } from './test-delegation.ts';
import type { DelegationFixture, Reply } from './test-delegation.ts';

const PASSWORD = 'correct horse battery staple';

describe('OS-TRUST trusts', () => {
  let f: DelegationFixture;
  let projectId: string;
  let trustorId: string;
  let trusteeId: string;
  let strangerId: string;
  let trustorToken: string;
  let trusteeToken: string;
  let strangerToken: string;

  before(async () => {
    f = await startDelegationFixture();
    projectId = await f.project();
    [trustorId, trusteeId, strangerId] = [await f.user(PASSWORD), await f.user(PASSWORD), await f.user(PASSWORD)];
    await f.grant(projectId, trustorId, 'member');
    await f.grant(projectId, strangerId, 'member');
    const scoped = async (userId: string) => {
      const r = await f.passwordAuth(userId, PASSWORD, { project: { id: projectId } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.token;
    };
    trustorToken = await scoped(trustorId);
    strangerToken = await scoped(strangerId);
    const unscoped = await f.passwordAuth(trusteeId, PASSWORD);
    assert.equal(unscoped.status, 201);
    trusteeToken = unscoped.token;
  });
  after(async () => { await f?.close(); });

  const createTrust = (extra: Record<string, unknown> = {}, token = trustorToken): Promise<Reply> =>
    f.call('POST', '/v3/OS-TRUST/trusts', {
      token,
      body: { trust: { trustor_user_id: trustorId, trustee_user_id: trusteeId, project_id: projectId, impersonation: false, roles: [{ name: 'member' }], ...extra } },
    });
  const newTrust = async (extra: Record<string, unknown> = {}): Promise<string> => {
    const r = await createTrust(extra);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.trust.id;
  };
  const trustAuth = (trustId: string, userId = trusteeId) => f.passwordAuth(userId, PASSWORD, { 'OS-TRUST:trust': { id: trustId } });
  const validate = (token: string) => f.call('GET', '/v3/auth/tokens', { token: f.admin, subject: token });
  const trustCount = (): number => {
    const db = new DatabaseSync(f.dbPath, { readOnly: true });
    try { return Number((db.prepare('SELECT count(*) AS n FROM trusts').get() as { n: number }).n); } finally { db.close(); }
  };

  it('a trustor creates a trust that trustor and trustee can list and show, with its roles', async () => {
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const created = await createTrust({ expires_at: expires, remaining_uses: null });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const t = created.body.trust;
    const memberId = await f.roleId('member');
    assert.equal(t.trustor_user_id, trustorId);
    assert.equal(t.trustee_user_id, trusteeId);
    assert.equal(t.project_id, projectId);
    assert.equal(t.impersonation, false);
    assert.equal(t.remaining_uses, null);
    assert.equal(t.redelegation_count, 0);
    assert.match(t.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'Keystone time with microseconds');
    assert.equal(Date.parse(t.expires_at), Date.parse(expires));
    assert.deepEqual(t.roles.map((r: { id: string; name: string }) => [r.id, r.name]), [[memberId, 'member']]);
    assert.ok(t.links.self.endsWith(`/v3/OS-TRUST/trusts/${t.id}`));
    assert.ok(t.roles_links.self.endsWith(`/v3/OS-TRUST/trusts/${t.id}/roles`));

    const mine = await f.call('GET', '/v3/OS-TRUST/trusts', { token: trustorToken });
    assert.equal(mine.status, 200);
    const listed = mine.body.trusts.find((x: { id: string }) => x.id === t.id);
    assert.ok(listed, 'the trustor lists the trust');
    assert.equal(listed.roles, undefined, 'a listed trust carries no roles, as in Keystone');
    const asTrustee = await f.call('GET', `/v3/OS-TRUST/trusts?trustee_user_id=${trusteeId}`, { token: trusteeToken });
    assert.equal(asTrustee.status, 200);
    assert.ok(asTrustee.body.trusts.some((x: { id: string }) => x.id === t.id), 'the trustee lists the trust');

    for (const token of [trustorToken, trusteeToken, f.admin]) {
      const shown = await f.call('GET', `/v3/OS-TRUST/trusts/${t.id}`, { token });
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      assert.equal(shown.body.trust.id, t.id);
      assert.deepEqual(shown.body.trust.roles.map((r: { id: string }) => r.id), [memberId]);
    }
    const roles = await f.call('GET', `/v3/OS-TRUST/trusts/${t.id}/roles`, { token: trusteeToken });
    assert.equal(roles.status, 200);
    assert.deepEqual(roles.body.roles.map((r: { name: string }) => r.name), ['member']);
    assert.equal((await f.call('GET', `/v3/OS-TRUST/trusts/${t.id}/roles/${memberId}`, { token: trusteeToken })).body.role.id, memberId);
    assert.equal((await f.call('HEAD', `/v3/OS-TRUST/trusts/${t.id}/roles/${memberId}`, { token: trusteeToken })).status, 200);
    assertKeystoneError(await f.call('GET', `/v3/OS-TRUST/trusts/${t.id}/roles/${await f.roleId('admin')}`, { token: trusteeToken }), 404, 'a role the trust does not delegate');
  });

  it('a stranger can neither see, list, inspect nor delete someone else\'s trust', async () => {
    const id = await newTrust();
    assertKeystoneError(await f.call('GET', `/v3/OS-TRUST/trusts/${id}`, { token: strangerToken }), 403, 'show');
    assertKeystoneError(await f.call('GET', `/v3/OS-TRUST/trusts/${id}/roles`, { token: strangerToken }), 403, 'roles');
    assertKeystoneError(await f.call('GET', `/v3/OS-TRUST/trusts?trustor_user_id=${trustorId}`, { token: strangerToken }), 403, 'list by trustor');
    assertKeystoneError(await f.call('DELETE', `/v3/OS-TRUST/trusts/${id}`, { token: strangerToken }), 403, 'delete');
    assertKeystoneError(await f.call('DELETE', `/v3/OS-TRUST/trusts/${id}`, { token: trusteeToken }), 403, 'the trustee cannot delete it either');
    const list = await f.call('GET', '/v3/OS-TRUST/trusts', { token: strangerToken });
    assert.equal(list.status, 200);
    assert.ok(!list.body.trusts.some((x: { id: string }) => x.id === id), 'an unfiltered list shows only the caller\'s trusts');
    const all = await f.call('GET', '/v3/OS-TRUST/trusts', { token: f.admin });
    assert.ok(all.body.trusts.some((x: { id: string }) => x.id === id), 'an admin lists every trust');
    const stolen = await trustAuth(id, strangerId);
    assertKeystoneError(stolen, 403, 'only the trustee may use the trust');
    assert.equal(stolen.token, '');
  });

  it('a trust token without impersonation acts as the trustee with the delegated roles only', async () => {
    const trustExpiry = Date.now() + 600_000;
    const id = await newTrust({ expires_at: new Date(trustExpiry).toISOString() });
    const r = await trustAuth(id);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const token = r.body.token;
    assert.equal(token.user.id, trusteeId);
    assert.deepEqual(token['OS-TRUST:trust'], { id, impersonation: false, trustee_user: { id: trusteeId }, trustor_user: { id: trustorId } });
    assert.equal(token.project.id, projectId);
    assert.equal(token.is_domain, undefined, 'Keystone\'s trust token has no is_domain');
    assert.deepEqual(token.roles.map((x: { name: string }) => x.name).sort(), ['member', 'reader'], 'member plus the reader role it implies');
    assert.ok(Date.parse(token.expires_at) <= trustExpiry, 'the token expires no later than the trust');
    const v = await validate(r.token);
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.token.user.id, trusteeId);
    assert.equal(v.body.token['OS-TRUST:trust'].id, id);
  });

  it('a trust token with impersonation acts as the trustor', async () => {
    const id = await newTrust({ impersonation: true });
    // The token method works as well as the password method for the trustee.
    const r = await f.call('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: trusteeToken } }, scope: { 'OS-TRUST:trust': { id } } } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const trustToken = r.headers.get('x-subject-token')!;
    assert.equal(r.body.token.user.id, trustorId);
    assert.equal(r.body.token['OS-TRUST:trust'].impersonation, true);
    assert.equal(r.body.token['OS-TRUST:trust'].trustee_user.id, trusteeId);
    assert.deepEqual(r.body.token.roles.map((x: { name: string }) => x.name).sort(), ['member', 'reader']);
    // Policy sees the trustor: the trustor's own user record is readable with the trust token.
    assert.equal((await f.call('GET', `/v3/users/${trustorId}`, { token: trustToken })).status, 200);
    assert.equal((await validate(trustToken)).body.token.user.id, trustorId);
  });

  it('a trust token cannot be rescoped, exchanged, or used to create another trust or an application credential', async () => {
    const id = await newTrust({ impersonation: true });
    const r = await trustAuth(id);
    assert.equal(r.status, 201);
    const viaToken = (scope?: Record<string, unknown>) => f.call('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: r.token } }, ...(scope ? { scope } : {}) } },
    });
    assertKeystoneError(await viaToken(), 403, 'exchange');
    assertKeystoneError(await viaToken({ project: { id: projectId } }), 403, 'rescope to the project');
    assertKeystoneError(await viaToken({ 'OS-TRUST:trust': { id } }), 403, 'another trust token');
    const before = trustCount();
    assertKeystoneError(await createTrust({}, r.token), 403, 'redelegation');
    assert.equal(trustCount(), before);
    // An application credential would outlive the trust: Keystone refuses it to delegated tokens.
    assertKeystoneError(await f.call('POST', `/v3/users/${trustorId}/application_credentials`, {
      token: r.token, body: { application_credential: { name: 'escape' } },
    }), 403, 'application credential from a trust token');
  });

  it('a trust with remaining_uses issues exactly that many tokens, even to concurrent requests', async () => {
    const id = await newTrust({ remaining_uses: 2 });
    const results = await Promise.all(Array.from({ length: 5 }, () => trustAuth(id)));
    const ok = results.filter((x) => x.status === 201);
    assert.equal(ok.length, 2, `statuses: ${results.map((x) => x.status).join(',')}`);
    for (const refused of results.filter((x) => x.status !== 201)) assertKeystoneError(refused, 401, 'exhausted');
    for (const issued of ok) assert.equal((await validate(issued.token)).status, 200, 'tokens already issued stay valid');
    assertKeystoneError(await trustAuth(id), 401, 'no use left');
    const db = new DatabaseSync(f.dbPath, { readOnly: true });
    try {
      assert.equal(Number((db.prepare('SELECT remaining_uses FROM trusts WHERE id = ?').get(id) as { remaining_uses: number }).remaining_uses), 0);
    } finally { db.close(); }
    assertKeystoneError(await f.call('GET', `/v3/OS-TRUST/trusts/${id}`, { token: trustorToken }), 404, 'an exhausted trust is gone, as in Keystone');
    assert.equal((await f.call('DELETE', `/v3/OS-TRUST/trusts/${id}`, { token: trustorToken })).status, 204, 'but its trustor can still delete it');
  });

  it('taking uses from a stale copy of the trust, over another connection, never overspends', async () => {
    // Over HTTP on SQLite the requests above barely interleave; here five takers all hold the row as it was read
    // when two uses were left, as concurrent issuers on PostgreSQL or MariaDB would.
    const id = await newTrust({ remaining_uses: 2 });
    const other = await openDatabase<IdentityTables>({ url: `sqlite://${f.dbPath}` });
    try {
      const stale = await other.db.selectFrom('trusts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(Number(stale.remaining_uses), 2);
      const taken = await Promise.all(Array.from({ length: 5 }, () => consumeTrustUse(other.db, { ...stale, remaining_uses: 2 })));
      assert.equal(taken.filter(Boolean).length, 2);
      assertKeystoneError(await trustAuth(id), 401, 'the service sees the uses taken elsewhere');
    } finally {
      await other.close();
    }
  });

  it('deleting the trust ends its tokens and leaves a soft-deleted row and a revocation event', async () => {
    const id = await newTrust();
    const r = await trustAuth(id);
    assert.equal(r.status, 201);
    assert.equal((await validate(r.token)).status, 200);
    assert.equal((await f.call('DELETE', `/v3/OS-TRUST/trusts/${id}`, { token: trustorToken })).status, 204);
    assertKeystoneError(await validate(r.token), 404, 'validation after delete');
    assertKeystoneError(await f.call('GET', '/v3/auth/projects', { token: r.token }), 401, 'using the token after delete');
    assertKeystoneError(await trustAuth(id), 404, 'a new token from the deleted trust');
    assertKeystoneError(await f.call('GET', `/v3/OS-TRUST/trusts/${id}`, { token: trustorToken }), 404, 'show after delete');
    assertKeystoneError(await f.call('DELETE', `/v3/OS-TRUST/trusts/${id}`, { token: trustorToken }), 404, 'delete twice');
    const db = new DatabaseSync(f.dbPath, { readOnly: true });
    try {
      const row = db.prepare('SELECT deleted_at FROM trusts WHERE id = ?').get(id) as { deleted_at: string | null } | undefined;
      assert.ok(row?.deleted_at, 'the row stays, with deleted_at set');
    } finally { db.close(); }
    const events = await f.call('GET', '/v3/OS-REVOKE/events', { token: f.admin });
    assert.ok(events.body.events.some((e: { OS_TRUST_trust_id?: string }) => e.OS_TRUST_trust_id === id), 'a revocation event names the trust');
  });

  it('removing the trustor\'s role invalidates the trust\'s tokens and stops new ones', async () => {
    const project = await f.project();
    await f.grant(project, trustorId, 'member');
    const scoped = await f.passwordAuth(trustorId, PASSWORD, { project: { id: project } });
    const r0 = await f.call('POST', '/v3/OS-TRUST/trusts', {
      token: scoped.token,
      body: { trust: { trustor_user_id: trustorId, trustee_user_id: trusteeId, project_id: project, impersonation: false, roles: [{ name: 'member' }] } },
    });
    assert.equal(r0.status, 201, JSON.stringify(r0.body));
    const r = await trustAuth(r0.body.trust.id);
    assert.equal(r.status, 201);
    assert.equal((await validate(r.token)).status, 200);
    await f.revoke(project, trustorId, 'member');
    assertKeystoneError(await validate(r.token), 404, 'validation after the trustor lost the role');
    assertKeystoneError(await trustAuth(r0.body.trust.id), 401, 'new token after the trustor lost the role');
  });

  it('a trust that expires takes its tokens with it', async () => {
    const id = await newTrust({ expires_at: new Date(Date.now() + 1500).toISOString() });
    const r = await trustAuth(id);
    assert.equal(r.status, 201);
    assert.ok(Date.parse(r.body.token.expires_at) <= Date.now() + 1500);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assertKeystoneError(await validate(r.token), 404, 'validation after expiry');
    assertKeystoneError(await trustAuth(id), 404, 'new token after expiry');
  });

  it('refuses bad input in Keystone\'s error format and creates nothing', async () => {
    const before = trustCount();
    const cases: [string, Promise<Reply>, number][] = [
      ['unknown trustee', createTrust({ trustee_user_id: 'f'.repeat(32) }), 404],
      ['a role the trustor lacks', createTrust({ roles: [{ name: 'admin' }] }), 404],
      ['an unknown role', createTrust({ roles: [{ id: 'f'.repeat(32) }] }), 404],
      ['an unknown project', createTrust({ project_id: 'f'.repeat(32) }), 404],
      ['expires_at in the past', createTrust({ expires_at: '2000-01-01T00:00:00Z' }), 400],
      ['expires_at not a time', createTrust({ expires_at: 'tomorrow' }), 400],
      ['remaining_uses 0', createTrust({ remaining_uses: 0 }), 400],
      ['impersonation not a boolean', createTrust({ impersonation: 'yes' }), 400],
      ['redelegation', createTrust({ allow_redelegation: true }), 400],
      ['no project', createTrust({ project_id: null }), 400],
      ['no roles', createTrust({ roles: [] }), 403],
      ['a role reference with both id and name', createTrust({ roles: [{ id: 'x', name: 'member' }] }), 400],
      ['someone else as trustor', createTrust({ trustor_user_id: strangerId }), 403],
      ['malformed JSON', f.call('POST', '/v3/OS-TRUST/trusts', { token: trustorToken, raw: '{"trust": {' }), 400],
      ['no trust envelope', f.call('POST', '/v3/OS-TRUST/trusts', { token: trustorToken, body: { trustor_user_id: trustorId } }), 400],
      ['missing impersonation', f.call('POST', '/v3/OS-TRUST/trusts', {
        token: trustorToken, body: { trust: { trustor_user_id: trustorId, trustee_user_id: trusteeId, project_id: projectId, roles: [{ name: 'member' }] } },
      }), 400],
      ['no token', f.call('POST', '/v3/OS-TRUST/trusts', { body: { trust: {} } }), 401],
    ];
    for (const [what, reply, status] of cases) assertKeystoneError(await reply, status, what);
    assert.equal(trustCount(), before, 'no trust row was written');
    assertKeystoneError(await trustAuth('f'.repeat(32)), 404, 'a token for an unknown trust');
    assertKeystoneError(await f.passwordAuth(trusteeId, PASSWORD, { 'OS-TRUST:trust': { id: 'f'.repeat(32) }, project: { id: projectId } }), 401, 'trust and project scope together');
  });
});
