// Bad input never reaches a 500 or changes data: every refusal is a 4xx in Keystone's error format with a useful message.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encryptToken } from '../domain/token-format.ts';
import { loadKeyRing } from '../domain/key-repository.ts';
import { startIdentity, unique } from './test-identity.ts';
import type { Reply, TestIdentity } from './test-identity.ts';

/** Asserts a Keystone error: the status, {"error": {"code", "title", "message"}} with code = status, and the message. */
function assertError(r: Reply, status: number, message: RegExp, what = ''): void {
  const where = `${what} -> ${r.status} ${JSON.stringify(r.body)}`;
  assert.equal(r.status, status, where);
  assert.deepEqual(Object.keys(r.body ?? {}), ['error'], where);
  assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message', 'title'], where);
  assert.equal(r.body.error.code, status, where);
  assert.ok(r.body.error.title.length > 0, where);
  assert.match(r.body.error.message, message, where);
  if (status === 401) assert.match(r.headers.get('www-authenticate') ?? '', /^Keystone uri="http:\/\/127\.0\.0\.1:\d+"$/, where);
}

describe('identity API: bad input', () => {
  let t: TestIdentity;
  let project: { id: string; name: string };
  let member: { id: string; name: string };
  let memberToken: string;
  let memberRoleId: string;
  before(async () => {
    t = await startIdentity();
    project = await t.create('/v3/projects', 'project', { name: 'victim', description: 'original' });
    member = await t.create('/v3/users', 'user', { name: 'member-user', password: 'pw' });
    await t.grant('projects', project.id, 'users', member.id, 'member');
    memberToken = await t.token({ id: member.id }, 'pw', { project: { id: project.id } });
    memberRoleId = await t.roleId('member');
  });
  after(() => t.close());

  /** Everything an admin can list: compared before and after a refused request to prove it changed nothing. */
  async function snapshot(): Promise<unknown> {
    const out: Record<string, unknown> = {};
    for (const path of ['domains', 'projects', 'users', 'groups', 'roles', 'role_assignments', 'regions', 'services', 'endpoints', 'role_inferences']) {
      const r = await t.call('GET', `/v3/${path}`, { token: t.admin });
      assert.equal(r.status, 200, path);
      out[path] = r.body;
    }
    out.appCreds = (await t.call('GET', `/v3/users/${member.id}/application_credentials`, { token: memberToken })).body;
    return out;
  }
  /** Runs `requests`, each expected to be refused, and asserts nothing an admin can list changed. */
  async function unchanged(requests: () => Promise<void>): Promise<void> {
    const before = await snapshot();
    await requests();
    assert.deepEqual(await snapshot(), before, 'a refused request changed data');
  }

  const creates: [string, string, Record<string, unknown>][] = [
    ['/v3/projects', 'project', { name: 'p-new' }],
    ['/v3/users', 'user', { name: 'u-new' }],
    ['/v3/groups', 'group', { name: 'g-new' }],
    ['/v3/domains', 'domain', { name: 'd-new' }],
    ['/v3/roles', 'role', { name: 'r-new' }],
    ['/v3/regions', 'region', { id: 'r-new' }],
    ['/v3/services', 'service', { type: 's-new' }],
  ];

  it('a body that is not valid JSON is a 400 and creates nothing', async () => {
    await unchanged(async () => {
      for (const [path] of creates) {
        for (const raw of ['{"project": ', '{name: 1}', "{'a': 1}", '\u0000']) {
          assertError(await t.call('POST', path, { token: t.admin, raw }), 400, /not valid JSON/, `${path} ${raw}`);
        }
      }
      assertError(await t.call('POST', '/v3/auth/tokens', { raw: '{"auth": ' }), 400, /not valid JSON/, 'auth');
    });
  });

  it('a body that is not an object (array, string, number, null, nothing) is a 400', async () => {
    await unchanged(async () => {
      for (const [path] of creates) {
        for (const raw of ['[]', '"project"', '42', 'null', '']) {
          assertError(await t.call('POST', path, { token: t.admin, raw }), 400, /must be object/, `${path} ${raw}`);
        }
      }
      assertError(await t.call('PATCH', `/v3/projects/${project.id}`, { token: t.admin, raw: '[{"name":"x"}]' }), 400, /must be object/);
    });
  });

  it('a missing required field is a 400 naming the field', async () => {
    await unchanged(async () => {
      const cases: [string, string, unknown, RegExp][] = [
        ['POST', '/v3/projects', { project: {} }, /'name' is a required property/],
        ['POST', '/v3/projects', {}, /'project' is a required property/],
        ['POST', '/v3/users', { user: { password: 'x' } }, /'name' is a required property/],
        ['POST', '/v3/endpoints', { endpoint: { service_id: 'x', interface: 'public' } }, /'url' is a required property/],
        ['POST', '/v3/auth/tokens', { auth: {} }, /'identity' is a required property/],
        ['POST', '/v3/auth/tokens', { auth: { identity: { password: {} } } }, /'methods' is a required property/],
        ['POST', '/v3/auth/tokens', { auth: { identity: { methods: ['password'] } } }, /Expecting to find password in identity/],
        ['POST', `/v3/users/${member.id}/password`, { user: { password: 'new' } }, /'original_password' is a required property/],
        ['PATCH', `/v3/projects/${project.id}`, { project: {} }, /must NOT have fewer than 1 properties/],
        ['PATCH', `/v3/users/${member.id}`, { user: {} }, /must NOT have fewer than 1 properties/],
      ];
      for (const [method, path, body, message] of cases) {
        assertError(await t.call(method, path, { token: t.admin, body }), 400, message, `${method} ${path} ${JSON.stringify(body)}`);
      }
    });
  });

  it('an unknown key beside the entity envelope is a 400 naming the key', async () => {
    await unchanged(async () => {
      for (const [path, key, entity] of creates) {
        assertError(await t.call('POST', path, { token: t.admin, body: { [key]: entity, [`${key}s`]: [] } }), 400, new RegExp(`'${key}s' was unexpected`), path);
      }
      assertError(await t.call('PATCH', `/v3/projects/${project.id}`, { token: t.admin, body: { project: { description: 'x' }, extra: 1 } }), 400, /'extra' was unexpected/);
    });
  });

  it('wrong types are a 400: enabled "yes", a numeric name, a string for a list, a number for a password', async () => {
    await unchanged(async () => {
      const cases: [string, string, unknown, RegExp][] = [
        ['POST', '/v3/projects', { project: { name: 'x', enabled: 'yes' } }, /project\.enabled\. must be boolean/],
        ['POST', '/v3/users', { user: { name: 5 } }, /user\.name\. must be string/],
        ['POST', '/v3/projects', { project: { name: 'x', tags: 'a,b' } }, /project\.tags\. must be array/],
        ['POST', '/v3/users', { user: { name: 'x', password: 1234 } }, /user\.password\. must be string/],
        ['POST', '/v3/domains', { domain: { name: 'x', enabled: 1 } }, /domain\.enabled\. must be boolean/],
        ['PATCH', `/v3/projects/${project.id}`, { project: { enabled: 'false' } }, /project\.enabled\. must be boolean/],
        ['PATCH', `/v3/users/${member.id}`, { user: { enabled: null } }, /user\.enabled\. must be boolean/],
        ['POST', '/v3/endpoints', { endpoint: { service_id: 'x', interface: 'outside', url: 'http://x' } }, /endpoint\.interface\. must be equal to one of the allowed values/],
        ['POST', '/v3/auth/tokens', { auth: { identity: { methods: 'password' } } }, /auth\.identity\.methods\. must be array/],
      ];
      for (const [method, path, body, message] of cases) {
        assertError(await t.call(method, path, { token: t.admin, body }), 400, message, `${method} ${path} ${JSON.stringify(body)}`);
      }
    });
  });

  it('a name of 256 characters and a whitespace-only name are a 400', async () => {
    await unchanged(async () => {
      for (const [path, key, entity] of creates.filter(([, k]) => k !== 'region' && k !== 'service')) {
        assertError(await t.call('POST', path, { token: t.admin, body: { [key]: { ...entity, name: 'n'.repeat(256) } } }), 400, /must NOT have more than 255 characters/, path);
        assertError(await t.call('POST', path, { token: t.admin, body: { [key]: { ...entity, name: ' \t ' } } }), 400, /name\. must match pattern/, path);
      }
      assertError(await t.call('PATCH', `/v3/projects/${project.id}`, { token: t.admin, body: { project: { name: '   ' } } }), 400, /must match pattern/);
    });
  });

  it('an unknown id in a path is a 404 "Could not find <kind>: <id>."', async () => {
    await unchanged(async () => {
      const cases: [string, string, string, unknown?][] = [
        ['GET', '/v3/projects/nope', 'project'], ['PATCH', '/v3/projects/nope', 'project', { project: { description: 'x' } }], ['DELETE', '/v3/projects/nope', 'project'],
        ['GET', '/v3/users/nope', 'user'], ['PATCH', '/v3/users/nope', 'user', { user: { enabled: false } }], ['DELETE', '/v3/users/nope', 'user'],
        ['GET', '/v3/groups/nope', 'group'], ['DELETE', '/v3/groups/nope', 'group'], ['GET', '/v3/domains/nope', 'domain'],
        ['GET', '/v3/roles/nope', 'role'], ['DELETE', '/v3/roles/nope', 'role'], ['GET', '/v3/regions/nope', 'region'],
        ['GET', '/v3/services/nope', 'service'], ['GET', '/v3/endpoints/nope', 'endpoint'], ['DELETE', '/v3/endpoints/nope', 'endpoint'],
        ['GET', `/v3/users/${t.adminUserId}/application_credentials/nope`, 'application credential'],
        ['POST', '/v3/users/nope/password', 'user', { user: { password: 'a', original_password: 'b' } }],
        ['PUT', `/v3/groups/nope/users/${member.id}`, 'group'],
      ];
      for (const [method, path, kind, body] of cases) {
        assertError(await t.call(method, path, { token: t.admin, body }), 404, new RegExp(`^Could not find ${kind}: nope\\.$`), `${method} ${path}`);
      }
    });
  });

  it('a duplicate name is a 409 and the original stays as it was', async () => {
    const group = await t.create('/v3/groups', 'group', { name: unique('group') });
    const role = await t.create('/v3/roles', 'role', { name: unique('role') });
    const domain = await t.create('/v3/domains', 'domain', { name: unique('domain') });
    await unchanged(async () => {
      const cases: [string, string, unknown][] = [
        ['/v3/projects', 'project', { name: project.name, description: 'impostor' }],
        ['/v3/users', 'user', { name: member.name, password: 'impostor' }],
        ['/v3/groups', 'group', { name: group.name }],
        ['/v3/roles', 'role', { name: role.name }],
        ['/v3/domains', 'domain', { name: domain.name }],
        ['/v3/regions', 'region', { id: 'RegionOne' }],
        [`/v3/users/${member.id}/application_credentials`, 'application_credential', { name: 'taken' }],
      ];
      const first = await t.call('POST', `/v3/users/${member.id}/application_credentials`, { token: memberToken, body: { application_credential: { name: 'taken' } } });
      assert.equal(first.status, 201);
      for (const [path, key, entity] of cases) {
        const token = key === 'application_credential' ? memberToken : t.admin;
        assertError(await t.call('POST', path, { token, body: { [key]: entity } }), 409, /^Conflict occurred attempting to store .* - Duplicate entry found with (name|id) /, path);
      }
      // The snapshot before included no credential: take the one created above out again.
      assert.equal((await t.call('DELETE', `/v3/users/${member.id}/application_credentials/${first.body.application_credential.id}`, { token: memberToken })).status, 204);
    });
    assert.equal((await t.auth({ id: member.id }, 'pw')).status, 201, 'the existing user keeps its password');
  });

  it('a rejected update changes no field: a PATCH with a taken name leaves the other fields and the tokens alone', async () => {
    const other = await t.create('/v3/projects', 'project', { name: unique('project') });
    const otherUser = await t.create('/v3/users', 'user', { name: unique('user') });
    await unchanged(async () => {
      assertError(await t.call('PATCH', `/v3/projects/${other.id}`, { token: t.admin, body: { project: { name: project.name, description: 'changed', enabled: false } } }), 409, /Duplicate entry found with name victim/);
      assertError(await t.call('PATCH', `/v3/users/${member.id}`, { token: t.admin, body: { user: { name: otherUser.name, enabled: false, password: 'changed' } } }), 409, /Duplicate entry/);
    });
    assert.equal((await t.call('GET', `/v3/projects/${project.id}`, { token: memberToken })).status, 200, 'the member\'s token still works');
    assert.equal((await t.auth({ id: member.id }, 'pw')).status, 201, 'and the password is unchanged');
  });

  it('a role grant naming an unknown role, user, group or project is a 404 and creates no assignment', async () => {
    await unchanged(async () => {
      const cases: [string, string][] = [
        [`/v3/projects/${project.id}/users/${member.id}/roles/nope`, 'role'],
        [`/v3/projects/${project.id}/users/nope/roles/${memberRoleId}`, 'user'],
        [`/v3/projects/${project.id}/groups/nope/roles/${memberRoleId}`, 'group'],
        [`/v3/projects/nope/users/${member.id}/roles/${memberRoleId}`, 'project'],
        [`/v3/domains/nope/users/${member.id}/roles/${memberRoleId}`, 'domain'],
        [`/v3/OS-INHERIT/domains/default/users/${member.id}/roles/nope/inherited_to_projects`, 'role'],
        [`/v3/system/users/nope/roles/${memberRoleId}`, 'user'],
      ];
      for (const [path, kind] of cases) {
        assertError(await t.call('PUT', path, { token: t.admin }), 404, new RegExp(`^Could not find ${kind}: nope\\.$`), path);
      }
    });
  });

  it('a garbled, forged, expired or revoked token, or none at all, is a 401 with WWW-Authenticate', async () => {
    const revoked = await t.token({ id: member.id }, 'pw', { project: { id: project.id } });
    assert.equal((await t.call('DELETE', '/v3/auth/tokens', { token: t.admin, headers: { 'x-subject-token': revoked } })).status, 204);
    const now = Date.now();
    const expired = encryptToken(loadKeyRing(t.keysDir), {
      userId: t.adminUserId, methods: ['password'], scope: { kind: 'project', id: t.adminProjectId },
      issuedAt: now - 7_200_000, expiresAt: now - 3_600_000, auditIds: ['expired-token-audit-id'],
    });
    const flipped = `${t.admin.slice(0, 30)}${t.admin[30] === 'A' ? 'B' : 'A'}${t.admin.slice(31)}`;
    await unchanged(async () => {
      const tokens: [string, string | undefined][] = [
        ['garbled', 'not-a-token'], ['long garbage', 'x'.repeat(200)], ['one character flipped', flipped],
        ['expired', expired], ['revoked', revoked], ['missing', undefined], ['empty', ''],
      ];
      for (const [what, token] of tokens) {
        const headers = token === '' ? { 'x-auth-token': '' } : undefined;
        assertError(await t.call('GET', '/v3/projects', { token, headers }), 401, /requires authentication/, what);
        assertError(await t.call('POST', '/v3/projects', { token, headers, body: { project: { name: 'sneaky' } } }), 401, /requires authentication/, what);
      }
      assertError(await t.call('GET', '/v3/auth/tokens', { token: t.admin, headers: { 'x-subject-token': expired } }), 404, /Could not recognize/, 'validate expired');
    });
  });

  it('an unscoped token cannot call a project-scoped admin API (403)', async () => {
    const unscoped = await t.token({ id: t.adminUserId }, 'secret', 'unscoped');
    await unchanged(async () => {
      assertError(await t.call('GET', '/v3/users', { token: unscoped }), 403, /identity:list_users/);
      assertError(await t.call('POST', '/v3/projects', { token: unscoped, body: { project: { name: 'from-unscoped' } } }), 403, /identity:create_project/);
      assertError(await t.call('PUT', `/v3/projects/${project.id}/users/${member.id}/roles/${await t.roleId('admin')}`, { token: unscoped }), 403, /identity:create_grant/);
    });
  });

  it('a project member cannot grant itself admin on its project (403, no assignment created)', async () => {
    const admin = await t.roleId('admin');
    await unchanged(async () => {
      assertError(await t.call('PUT', `/v3/projects/${project.id}/users/${member.id}/roles/${admin}`, { token: memberToken }), 403, /identity:create_grant/);
      assertError(await t.call('PUT', `/v3/system/users/${member.id}/roles/${admin}`, { token: memberToken }), 403, /identity:create_system_grant/);
      assertError(await t.call('PATCH', `/v3/projects/${project.id}`, { token: memberToken, body: { project: { description: 'mine now' } } }), 403, /identity:update_project/);
    });
    const check = await t.call('HEAD', `/v3/projects/${project.id}/users/${member.id}/roles/${admin}`, { token: t.admin });
    assert.equal(check.status, 404);
    assert.deepEqual((await t.call('GET', '/v3/auth/tokens', { token: t.admin, headers: { 'x-subject-token': memberToken } })).body.token.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
  });

  it('a project member cannot read another project (403) or its role assignments', async () => {
    const other = await t.create('/v3/projects', 'project', { name: unique('project') });
    assertError(await t.call('GET', `/v3/projects/${other.id}`, { token: memberToken }), 403, /identity:get_project/);
    assertError(await t.call('GET', `/v3/role_assignments?scope.project.id=${other.id}`, { token: memberToken }), 403, /identity:list_role_assignments/);
    assertError(await t.auth({ id: member.id }, 'pw', { project: { id: other.id } }), 401, /has no access to project/);
  });

  it('password auth with a wrong password or an unknown user is a 401 with the same message', async () => {
    const replies = [
      await t.auth({ id: member.id }, 'wrong'),
      await t.auth({ name: member.name, domain: { id: 'default' } }, 'wrong'),
      await t.auth({ id: 'nobody' }, 'pw'),
      await t.auth({ name: 'nobody', domain: { id: 'default' } }, 'pw'),
      await t.auth({ name: member.name, domain: { name: 'No Such Domain' } }, 'pw'),
    ];
    for (const r of replies) assertError(r, 401, /^The request you have made requires authentication\.$/);
    assert.equal(new Set(replies.map((r) => JSON.stringify(r.body))).size, 1, 'nothing tells an unknown user from a wrong password');
    assert.equal(replies.some((r) => r.headers.get('x-subject-token')), false);
  });

  it('a malformed auth scope is a 400 that names what is wrong in it', async () => {
    const identity = { methods: ['password'], password: { user: { id: t.adminUserId, password: 'secret' } } };
    const tokens = (scope: unknown) => t.call('POST', '/v3/auth/tokens', { body: { auth: { identity, scope } } });
    assertError(await tokens({ bogus: {} }), 400, /'bogus' was unexpected/);
    assertError(await tokens('everything'), 400, /scope/);
    assertError(await tokens({ system: { all: 'yes' } }), 400, /boolean/);
  });

  it('a non-JSON content type on POST is a 415 and creates nothing', async () => {
    await unchanged(async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
        assertError(await t.call('POST', '/v3/projects', { token: t.admin, raw: '{"project": {"name": "by-text"}}', headers: { 'content-type': type } }), 415, /is not supported/, type);
      }
      assertError(await t.call('POST', '/v3/auth/tokens', { raw: 'user=admin&password=secret', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, /is not supported/);
    });
  });

  it('a wrong HTTP method on a known path is a 404 or 405 in Keystone format, never a 500', async () => {
    await unchanged(async () => {
      const cases: [string, string][] = [
        ['PUT', '/v3/projects'], ['DELETE', '/v3/projects'], ['PATCH', '/v3/users'], ['POST', `/v3/projects/${project.id}`],
        ['PUT', `/v3/users/${member.id}`], ['POST', '/v3/role_assignments'], ['PATCH', '/v3/auth/tokens'], ['DELETE', '/v3'],
      ];
      for (const [method, path] of cases) {
        const r = await t.call(method, path, { token: t.admin, body: method === 'DELETE' ? undefined : {} });
        assert.ok(r.status === 404 || r.status === 405, `${method} ${path} -> ${r.status}`);
        assertError(r, r.status, /./, `${method} ${path}`);
      }
    });
  });

  it('a repeated query parameter takes its first value, as in Keystone, and is never a 500', async () => {
    const paths = [
      `/v3/projects?name=${project.name}&name=other`, '/v3/projects?domain_id=default&domain_id=other', '/v3/projects?parent_id=a&parent_id=b',
      '/v3/projects?tags=a&tags=b', `/v3/users?name=${member.name}&name=other`, '/v3/users?domain_id=default&domain_id=x', '/v3/groups?name=a&name=b',
      '/v3/domains?name=Default&name=b', '/v3/roles?name=member&name=admin', '/v3/endpoints?interface=public&interface=admin', '/v3/services?type=a&type=b',
      '/v3/regions?parent_region_id=a&parent_region_id=b', `/v3/users/${t.adminUserId}/application_credentials?name=a&name=b`,
      `/v3/role_assignments?user.id=${member.id}&user.id=x`, '/v3/OS-REVOKE/events?since=a&since=b',
    ];
    for (const path of paths) assert.equal((await t.call('GET', path, { token: t.admin })).status, 200, path);
    assert.deepEqual((await t.call('GET', `/v3/projects?name=${project.name}&name=other`, { token: t.admin })).body.projects.map((p: { id: string }) => p.id), [project.id]);
    assert.deepEqual((await t.call('GET', '/v3/roles?name=member&name=admin', { token: t.admin })).body.roles.map((r: { name: string }) => r.name), ['member']);
    assertError(await t.call('GET', '/v3/projects?enabled=maybe', { token: t.admin }), 400, /Expected a boolean value/);
  });

  it('an over-long path parameter and a malformed %-escape get a Keystone error body, not the framework\'s', async () => {
    assertError(await t.call('GET', `/v3/projects/${'a'.repeat(2000)}`, { token: t.admin }), 414, /max param length/);
    assertError(await t.call('GET', '/v3/projects/%E0%A4%A', { token: t.admin }), 400, /not a valid url component/);
  });

  it('a region cannot become its own ancestor (400), and the tree stays as it was', async () => {
    const child = await t.create('/v3/regions', 'region', { id: unique('Child'), parent_region_id: 'RegionOne' });
    const grandchild = await t.create('/v3/regions', 'region', { id: unique('Grandchild'), parent_region_id: child.id });
    await unchanged(async () => {
      assertError(await t.call('PATCH', '/v3/regions/RegionOne', { token: t.admin, body: { region: { parent_region_id: 'RegionOne' } } }), 400, /its own parent/);
      for (const descendant of [child.id, grandchild.id]) {
        assertError(await t.call('PATCH', '/v3/regions/RegionOne', { token: t.admin, body: { region: { parent_region_id: descendant } } }), 400, /Circular reference/, descendant);
      }
      assertError(await t.call('POST', '/v3/regions', { token: t.admin, body: { region: { id: 'orphan', parent_region_id: 'nope' } } }), 400, /Could not find region: nope/);
    });
  });

  it('an application credential asking for a role the user lacks is a 400, an unknown role a 404, and neither is created', async () => {
    await unchanged(async () => {
      const create = (roles: unknown) => t.call('POST', `/v3/users/${member.id}/application_credentials`, { token: memberToken, body: { application_credential: { name: 'escalate', roles } } });
      assertError(await create([{ name: 'admin' }]), 400, /unassigned role admin/);
      assertError(await create([{ id: await t.roleId('admin') }]), 400, /unassigned role/);
      assertError(await create([{ name: 'no-such-role' }]), 404, /^Could not find role: no-such-role\.$/);
      assertError(await create([{}]), 400, /is a required property/);
      assertError(await t.call('POST', `/v3/users/${member.id}/application_credentials`, { token: memberToken, body: { application_credential: { name: 'old', expires_at: '2001-01-01T00:00:00Z' } } }), 400, /in the future/);
      assertError(await t.call('POST', `/v3/users/${t.adminUserId}/application_credentials`, { token: memberToken, body: { application_credential: { name: 'theirs' } } }), 403, /identity:create_application_credential/);
    });
  });
});
