// Who may do what: each persona against a table of identity routes, allowed (2xx) or denied (403/404), as Keystone's
// default policy decides. An admin on a project-scoped token is a cloud admin (as OpenStack has always allowed); an
// admin on a domain-scoped token manages only that domain. A denied write must leave the data as it was.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIdentity, unique } from './test-identity.ts';
import type { TestIdentity } from './test-identity.ts';

const PERSONAS = ['system admin', 'P1 admin', 'P1 member', 'P1 reader', 'P2 member', 'D2 admin'] as const;
type Persona = (typeof PERSONAS)[number];

/** One persona's view of a fresh world: P1 and P2 in Default, domain D2, and a bystander user to act upon. */
interface World { p1: string; p2: string; d2: string; bystander: string; memberRole: string; self: string; token: string; fresh: string }

interface Route {
  name: string;
  method: string;
  path: (w: World) => string;
  body?: (w: World) => unknown;
  /** Checks the data afterwards: changed if the persona was allowed, untouched if not. */
  verify?: (w: World, allowed: boolean) => Promise<void>;
}

const Y = true, N = false;
//                                          system  P1     P1      P1      P2      D2
//                                          admin   admin  member  reader  member  admin
const MATRIX: [string, boolean[]][] = [
  ['get project P1',                       [Y,      Y,     Y,      Y,      N,      N]],
  ['list projects',                        [Y,      Y,     N,      N,      N,      N]],
  ['list projects of D2',                  [Y,      Y,     N,      N,      N,      Y]],
  ['update project P1',                    [Y,      Y,     N,      N,      N,      N]],
  ['list users',                           [Y,      Y,     N,      N,      N,      N]],
  ['create user',                          [Y,      Y,     N,      N,      N,      Y]],
  ['grant a role on P1',                   [Y,      Y,     N,      N,      N,      N]],
  ['list role assignments',                [Y,      Y,     N,      N,      N,      N]],
  ['create domain',                        [Y,      Y,     N,      N,      N,      N]],
  ['list endpoints',                       [Y,      Y,     N,      N,      N,      N]],
  // An application credential needs a project-scoped token, so system and domain tokens cannot make one.
  ['create app cred for self',             [N,      Y,     Y,      Y,      Y,      N]],
  ['create app cred for another user',     [N,      N,     N,      N,      N,      N]],
  ['delete project P1',                    [Y,      Y,     N,      N,      N,      N]],
];

describe('identity API: persona × route matrix', () => {
  let t: TestIdentity;
  before(async () => { t = await startIdentity(); });
  after(() => t.close());

  const admin = (method: string, path: string, body?: unknown) => t.call(method, path, { token: t.admin, body });

  const ROUTES: Route[] = [
    { name: 'get project P1', method: 'GET', path: (w) => `/v3/projects/${w.p1}` },
    { name: 'list projects', method: 'GET', path: () => '/v3/projects' },
    { name: 'list projects of D2', method: 'GET', path: (w) => `/v3/projects?domain_id=${w.d2}` },
    {
      name: 'update project P1', method: 'PATCH', path: (w) => `/v3/projects/${w.p1}`, body: () => ({ project: { description: 'updated' } }),
      verify: async (w, allowed) => assert.equal((await admin('GET', `/v3/projects/${w.p1}`)).body.project.description, allowed ? 'updated' : ''),
    },
    { name: 'list users', method: 'GET', path: () => '/v3/users' },
    {
      name: 'create user', method: 'POST', path: () => '/v3/users', body: (w) => ({ user: { name: w.fresh } }),
      verify: async (w, allowed) => assert.equal((await admin('GET', `/v3/users?name=${w.fresh}`)).body.users.length, allowed ? 1 : 0),
    },
    {
      name: 'grant a role on P1', method: 'PUT', path: (w) => `/v3/projects/${w.p1}/users/${w.bystander}/roles/${w.memberRole}`,
      verify: async (w, allowed) => assert.equal((await admin('HEAD', `/v3/projects/${w.p1}/users/${w.bystander}/roles/${w.memberRole}`)).status, allowed ? 204 : 404),
    },
    { name: 'list role assignments', method: 'GET', path: () => '/v3/role_assignments' },
    {
      name: 'create domain', method: 'POST', path: () => '/v3/domains', body: (w) => ({ domain: { name: w.fresh } }),
      verify: async (w, allowed) => assert.equal((await admin('GET', `/v3/domains?name=${w.fresh}`)).body.domains.length, allowed ? 1 : 0),
    },
    { name: 'list endpoints', method: 'GET', path: () => '/v3/endpoints' },
    {
      name: 'create app cred for self', method: 'POST', path: (w) => `/v3/users/${w.self}/application_credentials`,
      body: () => ({ application_credential: { name: unique('cred') } }),
    },
    {
      name: 'create app cred for another user', method: 'POST', path: (w) => `/v3/users/${w.bystander}/application_credentials`,
      body: () => ({ application_credential: { name: unique('cred') } }),
      verify: async (w) => assert.deepEqual((await admin('GET', `/v3/users/${w.bystander}/application_credentials`)).body.application_credentials, []),
    },
    {
      name: 'delete project P1', method: 'DELETE', path: (w) => `/v3/projects/${w.p1}`,
      verify: async (w, allowed) => assert.equal((await admin('GET', `/v3/projects/${w.p1}`)).status, allowed ? 404 : 200),
    },
  ];

  /** Builds a fresh world and returns it as seen by `persona` (its user id and token). */
  async function worldFor(persona: Persona): Promise<World> {
    const p1 = (await t.create('/v3/projects', 'project', { name: unique('P1') })).id;
    const p2 = (await t.create('/v3/projects', 'project', { name: unique('P2') })).id;
    const d2 = (await t.create('/v3/domains', 'domain', { name: unique('D2') })).id;
    const bystander = (await t.create('/v3/users', 'user', { name: unique('bystander') })).id;
    const memberRole = await t.roleId('member');
    const base = { p1, p2, d2, bystander, memberRole, fresh: unique('fresh') };
    if (persona === 'system admin') {
      return { ...base, self: t.adminUserId, token: await t.token({ id: t.adminUserId }, 'secret', { system: { all: true } }) };
    }
    const [role, target, kind] = ({
      'P1 admin': ['admin', p1, 'projects'], 'P1 member': ['member', p1, 'projects'], 'P1 reader': ['reader', p1, 'projects'],
      'P2 member': ['member', p2, 'projects'], 'D2 admin': ['admin', d2, 'domains'],
    } as const)[persona];
    const user = await t.create('/v3/users', 'user', { name: unique(persona.replace(' ', '-')), password: 'pw', domain_id: kind === 'domains' ? d2 : 'default' });
    await t.grant(kind, target, 'users', user.id, role);
    const scope = kind === 'domains' ? { domain: { id: target } } : { project: { id: target } };
    return { ...base, self: user.id, token: await t.token({ id: user.id }, 'pw', scope) };
  }

  it('the table covers every route once and states an answer for every persona', () => {
    assert.deepEqual(MATRIX.map(([name]) => name), ROUTES.map((r) => r.name));
    for (const [name, row] of MATRIX) assert.equal(row.length, PERSONAS.length, name);
  });

  PERSONAS.forEach((persona, column) => {
    const allowed = MATRIX.filter(([, row]) => row[column]).map(([name]) => name);
    it(`${persona} may ${allowed.join(', ') || 'nothing in the table'}, and is refused the rest without changing data`, async () => {
      const world = await worldFor(persona);
      const outcomes: string[] = [];
      for (const route of ROUTES) {
        const expected = MATRIX.find(([name]) => name === route.name)![1][column];
        const r = await t.call(route.method, route.path(world), { token: world.token, body: route.body?.(world) });
        const ok = expected ? r.status >= 200 && r.status < 300 : r.status === 403 || r.status === 404;
        if (!ok) outcomes.push(`${route.name}: expected ${expected ? '2xx' : '403/404'}, got ${r.status} ${JSON.stringify(r.body)}`);
        if (!expected && ok) assert.equal(r.body.error.code, r.status, route.name);
        await route.verify?.(world, expected);
      }
      assert.deepEqual(outcomes, [], `${persona}`);
    });
  });
});
