// Keystone v3 behaviour of the identity API, driven over HTTP against the service running in process.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIdentity, unique } from './test-identity.ts';
import type { TestIdentity } from './test-identity.ts';

/** Keystone's timestamps: microseconds and a Z. */
const KEYSTONE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Keystone documents
type Doc = any;
const roleNames = (token: Doc): string[] => token.roles.map((r: { name: string }) => r.name).sort();

describe('identity API (Keystone v3)', () => {
  let t: TestIdentity;
  before(async () => { t = await startIdentity(); });
  after(() => t.close());

  const validate = (subject: string, query = '') => t.call('GET', `/v3/auth/tokens${query}`, { token: t.admin, headers: { 'x-subject-token': subject } });

  /** A fresh user with `role` on a fresh project, and a token scoped there. */
  async function projectUser(role = 'member') {
    const project = await t.create('/v3/projects', 'project', { name: unique('project') });
    const user = await t.create('/v3/users', 'user', { name: unique('user'), password: 'pw-1' });
    await t.grant('projects', project.id, 'users', user.id, role);
    const token = await t.token({ id: user.id }, 'pw-1', { project: { id: project.id } });
    return { project, user, token };
  }
  /** Asserts the token validates and works, or that it is 404 to validate and 401 to use. */
  async function assertTokenWorks(token: string, projectId: string, works: boolean) {
    assert.equal((await validate(token)).status, works ? 200 : 404, 'validation');
    assert.equal((await t.call('GET', `/v3/projects/${projectId}`, { token })).status, works ? 200 : 401, 'use');
  }

  it('GET / answers 300 with the v3 version, and GET /v3 describes it', async () => {
    const root = await t.call('GET', '/');
    assert.equal(root.status, 300);
    assert.match(root.body.versions.values[0].id, /^v3/);
    assert.equal(root.body.versions.values[0].status, 'stable');
    assert.equal(root.body.versions.values[0].links[0].href, `${t.url}/v3/`);
    const v3 = await t.call('GET', '/v3');
    assert.equal(v3.status, 200);
    assert.match(v3.body.version.id, /^v3/);
  });

  it('a password token scoped to a project carries Keystone\'s token document and the X-Subject-Token header', async () => {
    const r = await t.auth({ name: 'admin', domain: { name: 'Default' } }, 'secret', { project: { name: 'admin', domain: { id: 'default' } } });
    assert.equal(r.status, 201);
    assert.ok(r.token.length > 40, 'X-Subject-Token');
    const tok = r.body.token;
    assert.deepEqual(tok.methods, ['password']);
    assert.deepEqual(tok.user, { domain: { id: 'default', name: 'Default' }, id: t.adminUserId, name: 'admin', password_expires_at: null });
    assert.equal(tok.audit_ids.length, 1);
    assert.match(tok.audit_ids[0], /^[\w-]{22}$/);
    assert.match(tok.expires_at, KEYSTONE_TIME);
    assert.match(tok.issued_at, KEYSTONE_TIME);
    const life = (Date.parse(tok.expires_at) - Date.parse(tok.issued_at)) / 1000;
    assert.ok(life > 3590 && life <= 3600, `default lifetime is an hour, got ${life}s`);
    assert.deepEqual(tok.project, { domain: { id: 'default', name: 'Default' }, id: t.adminProjectId, name: 'admin' });
    assert.equal(tok.is_domain, false);
    assert.deepEqual(roleNames(tok), ['admin', 'member', 'reader'], 'admin implies member, member implies reader');
    for (const role of tok.roles) assert.deepEqual(Object.keys(role).sort(), ['id', 'name']);
    const identity = tok.catalog.find((s: Doc) => s.type === 'identity');
    assert.equal(identity.name, 'keystone');
    assert.deepEqual(identity.endpoints.map((e: Doc) => e.interface).sort(), ['admin', 'internal', 'public']);
    for (const e of identity.endpoints) {
      assert.deepEqual({ ...e, id: undefined, interface: undefined }, { id: undefined, interface: undefined, region_id: 'RegionOne', region: 'RegionOne', url: `${t.url}/v3` });
    }
  });

  it('a domain-scoped token names its domain and a system-scoped token says system all, both with roles and a catalog', async () => {
    const domain = await t.create('/v3/domains', 'domain', { name: unique('domain') });
    const user = await t.create('/v3/users', 'user', { name: unique('user'), password: 'pw', domain_id: domain.id });
    await t.grant('domains', domain.id, 'users', user.id, 'member');
    const d = await t.auth({ name: user.name, domain: { name: domain.name } }, 'pw', { domain: { name: domain.name } });
    assert.equal(d.status, 201);
    assert.deepEqual(d.body.token.domain, { id: domain.id, name: domain.name });
    assert.deepEqual(d.body.token.user.domain, { id: domain.id, name: domain.name });
    assert.equal(d.body.token.project, undefined);
    assert.deepEqual(roleNames(d.body.token), ['member', 'reader']);
    assert.ok(Array.isArray(d.body.token.catalog));

    const s = await t.auth({ id: t.adminUserId }, 'secret', { system: { all: true } });
    assert.equal(s.status, 201);
    assert.deepEqual(s.body.token.system, { all: true });
    assert.equal(s.body.token.project, undefined);
    assert.deepEqual(roleNames(s.body.token), ['admin', 'member', 'reader']);
    assert.ok(s.body.token.catalog.length > 0);
    assert.equal((await t.auth({ id: user.id }, 'pw', { system: { all: true } })).status, 401, 'no system role, no system token');
  });

  it('an explicitly unscoped token has no roles, catalog or scope; without a scope the user\'s default project is used', async () => {
    const u = await t.auth({ id: t.adminUserId }, 'secret', 'unscoped');
    assert.equal(u.status, 201);
    for (const key of ['roles', 'catalog', 'project', 'domain', 'system']) assert.equal(u.body.token[key], undefined, key);
    const fallback = await t.auth({ id: t.adminUserId }, 'secret');
    assert.equal(fallback.body.token.project.id, t.adminProjectId, 'admin\'s default project is the admin project');
  });

  it('?nocatalog leaves the catalog out of both the issued and the validated token', async () => {
    const r = await t.call('POST', '/v3/auth/tokens?nocatalog', {
      body: { auth: { identity: { methods: ['password'], password: { user: { id: t.adminUserId, password: 'secret' } } }, scope: { project: { id: t.adminProjectId } } } },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.token.catalog, undefined);
    assert.ok(r.body.token.roles.length > 0);
    const subject = r.headers.get('x-subject-token')!;
    assert.equal((await validate(subject, '?nocatalog')).body.token.catalog, undefined);
    assert.ok((await validate(subject)).body.token.catalog.length > 0);
  });

  it('GET validates, HEAD checks and DELETE revokes a token; once revoked it is 404 to validate and 401 to use', async () => {
    const { project, user, token } = await projectUser();
    const shown = await validate(token);
    assert.equal(shown.status, 200);
    assert.equal(shown.headers.get('x-subject-token'), token);
    assert.equal(shown.body.token.user.id, user.id);
    const own = await t.call('GET', '/v3/auth/tokens', { token, headers: { 'x-subject-token': token } });
    assert.equal(own.status, 200, 'a user may validate their own token');
    assert.equal((await t.call('HEAD', '/v3/auth/tokens', { token: t.admin, headers: { 'x-subject-token': token } })).status, 200);

    assert.equal((await t.call('DELETE', '/v3/auth/tokens', { token: t.admin, headers: { 'x-subject-token': token } })).status, 204);
    const after = await validate(token);
    assert.equal(after.status, 404);
    assert.equal(after.body.error.code, 404);
    assert.equal((await t.call('HEAD', '/v3/auth/tokens', { token: t.admin, headers: { 'x-subject-token': token } })).status, 404);
    const use = await t.call('GET', `/v3/projects/${project.id}`, { token });
    assert.equal(use.status, 401);
    assert.ok(use.headers.get('www-authenticate'));
    assert.equal((await validate(t.admin)).status, 200, 'revoking one token leaves others alone');
  });

  it('rescoping with the token method keeps expires_at and chains audit_ids to the original', async () => {
    const { project, user } = await projectUser();
    const unscoped = await t.auth({ id: user.id }, 'pw-1', 'unscoped');
    const original = unscoped.body.token;
    const rescope = (id: string) => t.call('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id } }, scope: { project: { id: project.id } } } },
    });
    const first = await rescope(unscoped.token);
    assert.equal(first.status, 201);
    assert.deepEqual(first.body.token.methods, ['token']);
    assert.equal(first.body.token.project.id, project.id);
    assert.equal(first.body.token.expires_at, original.expires_at);
    assert.equal(first.body.token.audit_ids.length, 2);
    assert.equal(first.body.token.audit_ids[1], original.audit_ids[0]);
    assert.notEqual(first.body.token.audit_ids[0], original.audit_ids[0]);
    const second = await rescope(first.headers.get('x-subject-token')!);
    assert.equal(second.body.token.expires_at, original.expires_at);
    assert.equal(second.body.token.audit_ids[1], original.audit_ids[0], 'the chain id stays the first token\'s');
  });

  it('disabling a user invalidates their tokens, and a disabled user cannot authenticate', async () => {
    const { project, user, token } = await projectUser();
    await assertTokenWorks(token, project.id, true);
    assert.equal((await t.call('PATCH', `/v3/users/${user.id}`, { token: t.admin, body: { user: { enabled: false } } })).status, 200);
    await assertTokenWorks(token, project.id, false);
    assert.equal((await t.auth({ id: user.id }, 'pw-1', { project: { id: project.id } })).status, 401);
  });

  it('deleting a project invalidates tokens scoped to it and nothing else of the user', async () => {
    const { project, user, token } = await projectUser();
    const other = await t.create('/v3/projects', 'project', { name: unique('project') });
    await t.grant('projects', other.id, 'users', user.id, 'member');
    const otherToken = await t.token({ id: user.id }, 'pw-1', { project: { id: other.id } });
    assert.equal((await t.call('DELETE', `/v3/projects/${project.id}`, { token: t.admin })).status, 204);
    assert.equal((await validate(token)).status, 404);
    await assertTokenWorks(otherToken, other.id, true);
  });

  it('removing a role assignment invalidates the tokens that relied on it, not those on other projects', async () => {
    const { project, user, token } = await projectUser();
    const other = await t.create('/v3/projects', 'project', { name: unique('project') });
    await t.grant('projects', other.id, 'users', user.id, 'member');
    const otherToken = await t.token({ id: user.id }, 'pw-1', { project: { id: other.id } });
    const member = await t.roleId('member');
    assert.equal((await t.call('DELETE', `/v3/projects/${project.id}/users/${user.id}/roles/${member}`, { token: t.admin })).status, 204);
    await assertTokenWorks(token, project.id, false);
    await assertTokenWorks(otherToken, other.id, true);
    assert.equal((await t.auth({ id: user.id }, 'pw-1', { project: { id: project.id } })).status, 401, 'no role, no token');
  });

  it('changing one\'s password invalidates existing tokens; the new password works and the old one does not', async () => {
    const { project, user, token } = await projectUser();
    const change = await t.call('POST', `/v3/users/${user.id}/password`, { token, body: { user: { original_password: 'pw-1', password: 'pw-2' } } });
    assert.equal(change.status, 204);
    await assertTokenWorks(token, project.id, false);
    assert.equal((await t.auth({ id: user.id }, 'pw-1')).status, 401);
    const fresh = await t.token({ id: user.id }, 'pw-2', { project: { id: project.id } });
    await assertTokenWorks(fresh, project.id, true);
  });

  it('an application credential shows its secret once and authenticates to a project-scoped token with only the delegated roles', async () => {
    const { project, user, token } = await projectUser('member');
    const created = await t.call('POST', `/v3/users/${user.id}/application_credentials`, {
      token, body: { application_credential: { name: 'ci', description: 'for CI', roles: [{ name: 'reader' }] } },
    });
    assert.equal(created.status, 201);
    const ac = created.body.application_credential;
    assert.ok(ac.secret.length >= 32, 'a generated secret is returned on create');
    assert.equal(ac.project_id, project.id);
    assert.equal(ac.unrestricted, false);
    assert.deepEqual(ac.roles.map((r: Doc) => r.name), ['reader']);
    const shown = await t.call('GET', `/v3/users/${user.id}/application_credentials/${ac.id}`, { token });
    assert.equal(shown.status, 200);
    assert.equal(shown.body.application_credential.secret, undefined, 'the secret is never shown again');
    const listed = await t.call('GET', `/v3/users/${user.id}/application_credentials`, { token });
    assert.deepEqual(listed.body.application_credentials.map((a: Doc) => [a.id, a.secret]), [[ac.id, undefined]]);

    const appAuth = (secret: string, ref: Record<string, unknown> = { id: ac.id }) => t.call('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['application_credential'], application_credential: { ...ref, secret } } } },
    });
    const r = await appAuth(ac.secret);
    assert.equal(r.status, 201);
    const tok = r.body.token;
    assert.deepEqual(tok.methods, ['application_credential']);
    assert.equal(tok.project.id, project.id);
    assert.deepEqual(roleNames(tok), ['reader'], 'only the delegated role, not member');
    assert.deepEqual(tok.application_credential, { id: ac.id, name: 'ci', restricted: true });
    const acToken = r.headers.get('x-subject-token')!;
    assert.equal((await t.call('GET', `/v3/projects/${project.id}`, { token: acToken })).status, 200);
    assert.equal((await appAuth(ac.secret, { name: 'ci', user: { id: user.id } })).status, 201, 'by name and user');
    assert.equal((await appAuth('wrong-secret')).status, 401);

    assert.equal((await t.call('DELETE', `/v3/users/${user.id}/application_credentials/${ac.id}`, { token })).status, 204);
    assert.equal((await appAuth(ac.secret)).status, 401, 'a deleted credential no longer authenticates');
    assert.equal((await validate(acToken)).status, 404, 'and its tokens are gone');
  });

  it('group membership grants effective roles, and role_assignments?effective&include_names expands the group to its members', async () => {
    const project = await t.create('/v3/projects', 'project', { name: unique('project') });
    const group = await t.create('/v3/groups', 'group', { name: unique('group') });
    const user = await t.create('/v3/users', 'user', { name: unique('user'), password: 'pw' });
    await t.grant('projects', project.id, 'groups', group.id, 'member');
    assert.equal((await t.auth({ id: user.id }, 'pw', { project: { id: project.id } })).status, 401, 'not a member yet');
    assert.equal((await t.call('PUT', `/v3/groups/${group.id}/users/${user.id}`, { token: t.admin })).status, 204);
    assert.equal((await t.call('HEAD', `/v3/groups/${group.id}/users/${user.id}`, { token: t.admin })).status, 204);
    const token = await t.token({ id: user.id }, 'pw', { project: { id: project.id } });
    assert.deepEqual(roleNames((await validate(token)).body.token), ['member', 'reader']);

    const raw = await t.call('GET', `/v3/role_assignments?scope.project.id=${project.id}`, { token: t.admin });
    assert.deepEqual(raw.body.role_assignments.map((a: Doc) => [a.group?.id, a.user?.id]), [[group.id, undefined]], 'the raw list shows the group');

    const eff = await t.call('GET', `/v3/role_assignments?effective&include_names&user.id=${user.id}`, { token: t.admin });
    assert.equal(eff.status, 200);
    const entries = eff.body.role_assignments;
    assert.deepEqual(entries.map((a: Doc) => a.role.name).sort(), ['member', 'reader']);
    const member = entries.find((a: Doc) => a.role.name === 'member');
    assert.deepEqual(member.user, { id: user.id, name: user.name, domain: { id: 'default', name: 'Default' } });
    assert.deepEqual(member.scope, { project: { id: project.id, name: project.name, domain: { id: 'default', name: 'Default' } } });
    assert.equal(member.group, undefined, 'effective entries name the user, not the group');
    assert.equal(member.links.membership, `${t.url}/v3/groups/${group.id}/users/${user.id}`);
    assert.equal(member.links.assignment, `${t.url}/v3/projects/${project.id}/groups/${group.id}/roles/${member.role.id}`);
    const reader = entries.find((a: Doc) => a.role.name === 'reader');
    assert.equal(reader.links.assignment, member.links.assignment, 'an implied role points at the assignment it comes from');
    assert.equal(reader.links.prior_role, `${t.url}/v3/prior_role/${reader.role.id}/implies/${member.role.id}`);

    assert.equal((await t.call('DELETE', `/v3/groups/${group.id}/users/${user.id}`, { token: t.admin })).status, 204);
    assert.equal((await validate(token)).status, 404, 'leaving the group ends the token');
  });

  it('an inherited (OS-INHERIT) domain grant gives roles on every project of the domain, not on the domain itself', async () => {
    const domain = await t.create('/v3/domains', 'domain', { name: unique('domain') });
    const parent = await t.create('/v3/projects', 'project', { name: unique('project'), domain_id: domain.id });
    const child = await t.create('/v3/projects', 'project', { name: unique('project'), parent_id: parent.id });
    const user = await t.create('/v3/users', 'user', { name: unique('user'), password: 'pw', domain_id: domain.id });
    const member = await t.roleId('member');
    const path = `/v3/OS-INHERIT/domains/${domain.id}/users/${user.id}/roles/${member}/inherited_to_projects`;
    assert.equal((await t.call('PUT', path, { token: t.admin })).status, 204);
    assert.equal((await t.call('HEAD', path, { token: t.admin })).status, 204);

    for (const p of [parent, child]) {
      const r = await t.auth({ id: user.id }, 'pw', { project: { id: p.id } });
      assert.equal(r.status, 201, p.name);
      assert.deepEqual(roleNames(r.body.token), ['member', 'reader']);
    }
    assert.equal((await t.auth({ id: user.id }, 'pw', { domain: { id: domain.id } })).status, 401, 'no role on the domain itself');
    const authProjects = await t.call('GET', '/v3/auth/projects', { token: await t.token({ id: user.id }, 'pw', { project: { id: child.id } }) });
    assert.deepEqual(authProjects.body.projects.map((p: Doc) => p.id).sort(), [parent.id, child.id].sort());

    const raw = await t.call('GET', `/v3/role_assignments?user.id=${user.id}`, { token: t.admin });
    assert.deepEqual(raw.body.role_assignments.map((a: Doc) => a.scope), [{ domain: { id: domain.id }, 'OS-INHERIT:inherited_to': 'projects' }]);
    assert.equal(raw.body.role_assignments[0].links.assignment, `${t.url}${path}`);
    const eff = await t.call('GET', `/v3/role_assignments?effective&user.id=${user.id}&role.id=${member}`, { token: t.admin });
    assert.deepEqual(eff.body.role_assignments.map((a: Doc) => a.scope.project.id).sort(), [parent.id, child.id].sort());
    for (const a of eff.body.role_assignments) {
      assert.equal(a.scope['OS-INHERIT:inherited_to'], 'projects');
      assert.equal(a.links.assignment, `${t.url}${path}`);
    }
  });

  it('implied roles appear in tokens: a custom prior role brings the role it implies, until the inference is deleted', async () => {
    const prior = await t.create('/v3/roles', 'role', { name: unique('prior') });
    const implied = await t.create('/v3/roles', 'role', { name: unique('implied') });
    const inference = await t.call('PUT', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: t.admin });
    assert.equal(inference.status, 201);
    assert.equal(inference.body.role_inference.implies.id, implied.id);
    const project = await t.create('/v3/projects', 'project', { name: unique('project') });
    const user = await t.create('/v3/users', 'user', { name: unique('user'), password: 'pw' });
    await t.grant('projects', project.id, 'users', user.id, prior.name);
    const token = await t.auth({ id: user.id }, 'pw', { project: { id: project.id } });
    assert.deepEqual(roleNames(token.body.token), [implied.name, prior.name].sort());
    assert.equal((await t.call('DELETE', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: t.admin })).status, 204);
    assert.deepEqual(roleNames((await t.auth({ id: user.id }, 'pw', { project: { id: project.id } })).body.token), [prior.name]);
  });

  it('a project hierarchy: a child reports its parent_id, a parent with children cannot be deleted, a leaf can', async () => {
    const parent = await t.create('/v3/projects', 'project', { name: unique('parent') });
    assert.equal(parent.parent_id, 'default', 'a top-level project\'s parent is its domain');
    const child = await t.create('/v3/projects', 'project', { name: unique('child'), parent_id: parent.id });
    assert.equal(child.parent_id, parent.id);
    assert.equal(child.domain_id, parent.domain_id);
    const children = await t.call('GET', `/v3/projects?parent_id=${parent.id}`, { token: t.admin });
    assert.deepEqual(children.body.projects.map((p: Doc) => p.id), [child.id]);
    const refused = await t.call('DELETE', `/v3/projects/${parent.id}`, { token: t.admin });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.message, /not a leaf/);
    assert.equal((await t.call('GET', `/v3/projects/${parent.id}`, { token: t.admin })).status, 200);
    assert.equal((await t.call('DELETE', `/v3/projects/${child.id}`, { token: t.admin })).status, 204);
    assert.equal((await t.call('DELETE', `/v3/projects/${parent.id}`, { token: t.admin })).status, 204);
  });

  it('catalog changes reach new tokens: a new service and endpoint appear, a disabled endpoint and a deleted service go', async () => {
    const catalogOf = async () => (await t.auth({ id: t.adminUserId }, 'secret', { project: { id: t.adminProjectId } })).body.token.catalog as Doc[];
    const type = unique('compute');
    const service = await t.create('/v3/services', 'service', { type, name: 'nova' });
    const endpoint = await t.create('/v3/endpoints', 'endpoint', { service_id: service.id, interface: 'public', url: 'http://nova.example/v2.1', region_id: 'RegionOne' });
    const entry = (await catalogOf()).find((s) => s.type === type);
    assert.deepEqual(entry, { id: service.id, type, name: 'nova', endpoints: [{ id: endpoint.id, interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'http://nova.example/v2.1' }] });
    assert.equal((await t.call('PATCH', `/v3/endpoints/${endpoint.id}`, { token: t.admin, body: { endpoint: { enabled: false } } })).status, 200);
    assert.deepEqual((await catalogOf()).find((s) => s.type === type).endpoints, []);
    assert.equal((await t.call('DELETE', `/v3/services/${service.id}`, { token: t.admin })).status, 204);
    assert.equal((await catalogOf()).find((s) => s.type === type), undefined);
    assert.equal((await t.call('GET', `/v3/endpoints/${endpoint.id}`, { token: t.admin })).status, 404, 'the service took its endpoints');
  });

  it('/v3/auth/projects, /v3/auth/domains and /v3/auth/system list what the caller may scope to; /v3/auth/catalog is the token\'s catalog', async () => {
    const { project, user, token } = await projectUser();
    const domain = await t.create('/v3/domains', 'domain', { name: unique('domain') });
    await t.grant('domains', domain.id, 'users', user.id, 'reader');
    const projects = await t.call('GET', '/v3/auth/projects', { token });
    assert.equal(projects.status, 200);
    assert.deepEqual(projects.body.projects.map((p: Doc) => p.id), [project.id]);
    const domains = await t.call('GET', '/v3/auth/domains', { token });
    assert.deepEqual(domains.body.domains.map((d: Doc) => d.id), [domain.id]);
    assert.deepEqual((await t.call('GET', '/v3/auth/system', { token })).body.system, []);
    assert.deepEqual((await t.call('GET', '/v3/auth/system', { token: t.admin })).body.system, [{ all: true }]);
    const catalog = await t.call('GET', '/v3/auth/catalog', { token });
    assert.equal(catalog.status, 200);
    assert.deepEqual(catalog.body.catalog, (await validate(token)).body.token.catalog);
    const unscoped = await t.token({ id: user.id }, 'pw-1', 'unscoped');
    assert.equal((await t.call('GET', '/v3/auth/catalog', { token: unscoped })).status, 403);
    assert.deepEqual((await t.call('GET', '/v3/auth/projects', { token: unscoped })).body.projects.map((p: Doc) => p.id), [project.id], 'an unscoped token may list them too');
  });

  it('GET /v3/OS-REVOKE/events lists a token revocation with its audit id and times', async () => {
    const { token } = await projectUser();
    const auditId = (await validate(token)).body.token.audit_ids[0];
    const before = Date.now();
    assert.equal((await t.call('DELETE', '/v3/auth/tokens', { token: t.admin, headers: { 'x-subject-token': token } })).status, 204);
    const events = await t.call('GET', '/v3/OS-REVOKE/events', { token: t.admin });
    assert.equal(events.status, 200);
    const event = events.body.events.find((e: Doc) => e.audit_id === auditId);
    assert.ok(event, 'the revocation is listed');
    assert.ok(Date.parse(event.revoked_at) >= before - 1000);
    assert.ok(Date.parse(event.issued_before) >= before - 1000);
    const later = new Date(Date.now() + 60_000).toISOString();
    const none = await t.call('GET', `/v3/OS-REVOKE/events?since=${encodeURIComponent(later)}`, { token: t.admin });
    assert.equal(none.body.events.find((e: Doc) => e.audit_id === auditId), undefined, '?since filters older events out');
  });
});
