// Test fixture for the trust and credential tests: the identity service in process on port 0 with a temp SQLite
// database (whose path tests may open to look at raw rows), and helpers to make users, projects and grants.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { createIdentityService, defaultCredentialKeysDir, identityOptions } from '../roles.ts';

export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary Keystone documents
  body: any;
}

export interface DelegationFixture {
  url: string;
  dbPath: string;
  credentialKeysDir: string;
  tokenKeysDir: string;
  /** Token of the bootstrap admin, scoped to the admin project. */
  admin: string;
  call(method: string, path: string, opts?: { token?: string; subject?: string; body?: unknown; raw?: string }): Promise<Reply>;
  /** POST /v3/auth/tokens with the password method; `token` is X-Subject-Token ('' on failure). */
  passwordAuth(userId: string, password: string, scope?: Record<string, unknown>): Promise<Reply & { token: string }>;
  /** A user in the Default domain with a password; returns its id. */
  user(password: string): Promise<string>;
  project(): Promise<string>;
  roleId(name: string): Promise<string>;
  grant(projectId: string, userId: string, role: string): Promise<void>;
  revoke(projectId: string, userId: string, role: string): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${++counter}-${process.pid}`;

export async function startDelegationFixture(): Promise<DelegationFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-delegation-'));
  const tokenKeysDir = join(dir, 'keys', 'tokens');
  const deps = {
    options: resolveOptions('identity', identityOptions, { password_hash_log2n: 10 }, {}),
    databaseUrl: `sqlite://${dir}/identity.sqlite`, keysDir: tokenKeysDir, log: silentLogger(), publicUrl: 'http://127.0.0.1',
    bootstrap: { adminPassword: 'admin-secret', region: 'RegionOne', serviceUsers: [], catalog: [] },
  };
  const service = await createIdentityService(deps);
  const url = await service.listen('127.0.0.1', 0);
  deps.publicUrl = url;

  async function call(method: string, path: string, opts: { token?: string; subject?: string; body?: unknown; raw?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (opts.token) headers['x-auth-token'] = opts.token;
    if (opts.subject) headers['x-subject-token'] = opts.subject;
    const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
    return { status: res.status, headers: res.headers, body: parsed };
  }
  async function passwordAuth(userId: string, password: string, scope?: Record<string, unknown>) {
    const r = await call('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { id: userId, password } } }, ...(scope ? { scope } : {}) } },
    });
    return { ...r, token: r.headers.get('x-subject-token') ?? '' };
  }

  const adminUser = await call('POST', '/v3/auth/tokens', {
    body: { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } },
  });
  assert.equal(adminUser.status, 201, JSON.stringify(adminUser.body));
  const admin = adminUser.headers.get('x-subject-token')!;
  const roleIds = new Map<string, string>();

  const fixture: DelegationFixture = {
    url, admin, call, passwordAuth, tokenKeysDir,
    dbPath: join(dir, 'identity.sqlite'),
    credentialKeysDir: defaultCredentialKeysDir(tokenKeysDir),
    async user(password) {
      const r = await call('POST', '/v3/users', { token: admin, body: { user: { name: unique('user'), domain_id: 'default', password } } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.user.id;
    },
    async project() {
      const r = await call('POST', '/v3/projects', { token: admin, body: { project: { name: unique('project'), domain_id: 'default' } } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.project.id;
    },
    async roleId(name) {
      if (!roleIds.has(name)) {
        const r = await call('GET', `/v3/roles?name=${encodeURIComponent(name)}`, { token: admin });
        assert.equal(r.body.roles.length, 1, `role ${name}`);
        roleIds.set(name, r.body.roles[0].id);
      }
      return roleIds.get(name)!;
    },
    async grant(projectId, userId, role) {
      const r = await call('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${await fixture.roleId(role)}`, { token: admin });
      assert.equal(r.status, 204, JSON.stringify(r.body));
    },
    async revoke(projectId, userId, role) {
      const r = await call('DELETE', `/v3/projects/${projectId}/users/${userId}/roles/${await fixture.roleId(role)}`, { token: admin });
      assert.equal(r.status, 204, JSON.stringify(r.body));
    },
    async close() {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Asserts a Keystone error document: {"error": {"code", "title", "message"}} with the given status. */
export function assertKeystoneError(r: Reply, status: number, context = ''): void {
  assert.equal(r.status, status, `${context}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.body?.error?.code, status, `${context}: error.code`);
  assert.equal(typeof r.body.error.title, 'string', `${context}: error.title`);
  assert.ok(typeof r.body.error.message === 'string' && r.body.error.message.length > 0, `${context}: error.message`);
}
