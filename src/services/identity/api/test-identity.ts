// Test fixture: the identity service in process on 127.0.0.1:0 with a temp SQLite database, and fetch helpers for its API.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { callJson } from '#lib/test-http.ts';
import type { CallOptions, Reply } from '#lib/test-http.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { createIdentityService, identityOptions } from '../roles.ts';
import type { IdentityService } from '../roles.ts';

export type { CallOptions, Reply } from '#lib/test-http.ts';

export type UserRef = { id: string } | { name: string; domain: { id?: string; name?: string } };
export type ScopeRef = Record<string, unknown> | 'unscoped';

export interface TestIdentity {
  service: IdentityService;
  url: string;
  /** The token key repository, for tests that forge tokens. */
  keysDir: string;
  /** The admin user (admin on the admin project and on the system). */
  adminUserId: string;
  adminProjectId: string;
  /** A token of the admin user scoped to the admin project, as the openstack CLI gets it. */
  admin: string;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** POST /v3/auth/tokens with the password method; `token` is the X-Subject-Token header. */
  auth(user: UserRef, password: string, scope?: ScopeRef): Promise<Reply & { token: string }>;
  /** Like auth, but asserts success and returns only the token. */
  token(user: UserRef, password: string, scope?: ScopeRef): Promise<string>;
  /** POSTs `{ [key]: entity }` to `path` as the admin (or `token`), asserts 201 and returns the entity. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Reply.body
  create(path: string, key: string, entity: Record<string, unknown>, token?: string): Promise<any>;
  roleId(name: string): Promise<string>;
  /** PUT a role grant, e.g. grant('projects', projectId, 'users', userId, 'member'); asserts 204. */
  grant(target: 'projects' | 'domains', targetId: string, actor: 'users' | 'groups', actorId: string, role: string): Promise<void>;
  close(): Promise<void>;
}

export async function startIdentity(options: Record<string, unknown> = {}): Promise<TestIdentity> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-api-'));
  const deps = {
    options: resolveOptions('identity', identityOptions, { password_hash_log2n: 10, ...options }, {}),
    databaseUrl: `sqlite://${dir}/identity.sqlite`, keysDir: join(dir, 'keys'), log: silentLogger(),
    publicUrl: 'http://127.0.0.1',
    bootstrap: { adminPassword: 'secret', region: 'RegionOne', serviceUsers: ['nova'], catalog: [{ type: 'identity', name: 'keystone', url: 'http://127.0.0.1/v3' }] },
  };
  const service = await createIdentityService(deps);
  const url = await service.listen('127.0.0.1', 0);
  // The port is known only now: WWW-Authenticate reads publicUrl on each 401.
  deps.publicUrl = url;

  const call = (method: string, path: string, opts: CallOptions = {}): Promise<Reply> => callJson(url, method, path, opts);
  async function auth(user: UserRef, password: string, scope?: ScopeRef) {
    const r = await call('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { ...user, password } } }, ...(scope ? { scope } : {}) } },
    });
    return { ...r, token: r.headers.get('x-subject-token') ?? '' };
  }
  async function token(user: UserRef, password: string, scope?: ScopeRef) {
    const r = await auth(user, password, scope);
    assert.equal(r.status, 201, `password auth failed: ${JSON.stringify(r.body)}`);
    return r.token;
  }

  const first = await auth({ name: 'admin', domain: { id: 'default' } }, 'secret', { project: { name: 'admin', domain: { id: 'default' } } });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const admin = first.token;
  const fixture: TestIdentity = {
    service, url, admin, call, auth, token, keysDir: deps.keysDir,
    adminUserId: first.body.token.user.id, adminProjectId: first.body.token.project.id,
    async create(path, key, entity, as = admin) {
      const r = await call('POST', path, { token: as, body: { [key]: entity } });
      assert.equal(r.status, 201, `POST ${path}: ${JSON.stringify(r.body)}`);
      return r.body[key];
    },
    async roleId(name) {
      const r = await call('GET', `/v3/roles?name=${encodeURIComponent(name)}`, { token: admin });
      assert.equal(r.body.roles.length, 1, `role ${name}`);
      return r.body.roles[0].id;
    },
    async grant(target, targetId, actor, actorId, role) {
      const r = await call('PUT', `/v3/${target}/${targetId}/${actor}/${actorId}/roles/${await fixture.roleId(role)}`, { token: admin });
      assert.equal(r.status, 204, JSON.stringify(r.body));
    },
    async close() {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Point the bootstrapped identity endpoints at the real port, so token catalogs are usable.
  const endpoints = (await call('GET', '/v3/endpoints', { token: admin })).body.endpoints as { id: string }[];
  for (const e of endpoints) await call('PATCH', `/v3/endpoints/${e.id}`, { token: admin, body: { endpoint: { url: `${url}/v3` } } });
  return fixture;
}

/** Unique names per call, so tests sharing one service never collide. */
let counter = 0;
export const unique = (prefix: string): string => `${prefix}-${++counter}-${process.pid}`;
