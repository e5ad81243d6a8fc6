// Test fixture: Placement in process on 127.0.0.1:0 with a temp SQLite database (or another engine), authenticating
// its callers against a real Identity started in process, with personas for every kind of caller Placement has.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { dropDatabase } from '#lib/db/index.ts';
import { testServerUrls } from '#lib/test-servers.ts';
import { createIdentityService, identityOptions } from '#services/identity/roles.ts';
import type { IdentityService } from '#services/identity/roles.ts';
import { createPlacementApi, placementOptions } from '../roles.ts';
import type { PlacementApi } from '../roles.ts';
import { callJson } from '#lib/test-http.ts';
import type { CallOptions as BaseCallOptions, Reply } from '#lib/test-http.ts';

export type { Reply } from '#lib/test-http.ts';

export interface CallOptions extends BaseCallOptions {
  /** The placement microversion to ask for; default 'latest'. null sends no version header. */
  version?: string | null;
}

/**
 * admin: admin of the admin project; service: Nova's service user (the service role, as the scheduler calls);
 * sysreader: reader on the system; member, reader: member and reader of project A; other: member of project B.
 */
export type PersonaName = 'admin' | 'service' | 'sysreader' | 'member' | 'reader' | 'other';

export interface TestPlacement {
  api: PlacementApi;
  url: string;
  /** A token per persona. */
  as: Record<PersonaName, string>;
  projects: { a: string; b: string };
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** Creates a provider as the admin (1.20+ body) and returns it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Reply.body
  provider(name: string, extra?: { parent_provider_uuid?: string; uuid?: string }): Promise<any>;
  /** Replaces a provider's inventories (reading its generation first) and returns the new generation. */
  inventory(uuid: string, inventories: Record<string, Record<string, number>>): Promise<number>;
  close(): Promise<void>;
}

interface TestIdentity {
  identity: IdentityService;
  authUrl: string;
  placementPassword: string;
  as: Record<PersonaName, string>;
  projects: { a: string; b: string };
}

/** A real Identity in process, bootstrapped with the placement and nova service users, and the personas' tokens. */
async function startTestIdentity(dir: string): Promise<TestIdentity> {
  const identity = await createIdentityService({
    options: resolveOptions('identity', identityOptions, { password_hash_log2n: 10 }, {}), databaseUrl: `sqlite://${dir}/identity.sqlite`,
    keysDir: join(dir, 'keys'), log: silentLogger(), publicUrl: 'http://127.0.0.1',
    bootstrap: { adminPassword: 'secret', region: 'RegionOne', serviceUsers: ['placement', 'nova'], catalog: [] },
  });
  const base = await identity.listen('127.0.0.1', 0);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Keystone documents, read where needed
  const v3 = async (method: string, path: string, token?: string, body?: unknown): Promise<{ token: string; body: any }> => {
    const res = await fetch(`${base}/v3${path}`, {
      method, headers: { ...(token ? { 'x-auth-token': token } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    assert.ok(res.status < 300, `identity ${method} ${path}: ${res.status} ${text}`);
    return { token: res.headers.get('x-subject-token') ?? '', body: text ? JSON.parse(text) : undefined };
  };
  const login = async (name: string, password: string, scope: { project: string } | 'system') => (await v3('POST', '/auth/tokens', undefined, { auth: {
    identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password } } },
    scope: scope === 'system' ? { system: { all: true } } : { project: { name: scope.project, domain: { id: 'default' } } },
  } })).token;
  const admin = await login('admin', 'secret', { project: 'admin' });
  const roles = (await v3('GET', '/roles', admin)).body.roles as { id: string; name: string }[];
  const roleId = (name: string) => roles.find((r) => r.name === name)!.id;
  const suffix = randomBytes(4).toString('hex');
  const project = async (name: string) => (await v3('POST', '/projects', admin, { project: { name: `${name}-${suffix}`, domain_id: 'default' } })).body.project;
  const [a, b] = [await project('project-a'), await project('project-b')];
  const persona = async (name: string, role: string, target: { id: string; name: string } | 'system') => {
    const user = (await v3('POST', '/users', admin, { user: { name, domain_id: 'default', password: `${name}-pw` } })).body.user;
    await v3('PUT', target === 'system' ? `/system/users/${user.id}/roles/${roleId(role)}` : `/projects/${target.id}/users/${user.id}/roles/${roleId(role)}`, admin);
    return login(name, `${name}-pw`, target === 'system' ? 'system' : { project: target.name });
  };
  const passwords = identity.bootstrapResult!.servicePasswords;
  const as: Record<PersonaName, string> = {
    admin,
    service: await login('nova', passwords.nova, { project: 'service' }),
    sysreader: await persona('auditor', 'reader', 'system'),
    member: await persona('alice', 'member', a),
    reader: await persona('rita', 'reader', a),
    other: await persona('bob', 'member', b),
  };
  return { identity, authUrl: `${base}/v3`, placementPassword: passwords.placement, as, projects: { a: a.id, b: b.id } };
}

/**
 * The database a fixture uses when the test names none: a SQLite file in a temp directory, or, with
 * STRATUS_PLACEMENT_TEST_DB=postgres|mysql, a fresh database on that test server (dropped again by close()), so the
 * API suites can be run on every engine.
 */
function defaultDatabase(dir: string): { url: string; drop?: () => Promise<void> } {
  const engine = process.env.STRATUS_PLACEMENT_TEST_DB;
  if (engine !== 'postgres' && engine !== 'mysql') return { url: `sqlite://${dir}/placement.sqlite` };
  const url = testServerUrls[engine].replace(/\/[^/]*$/, `/stratus_plapi_${randomBytes(4).toString('hex')}`);
  return { url, drop: () => dropDatabase(url) };
}

/** Starts Placement; `databaseUrl` defaults to defaultDatabase(). */
export async function startPlacement(opts: { options?: Record<string, unknown>; databaseUrl?: string } = {}): Promise<TestPlacement> {
  const dir = mkdtempSync(join(tmpdir(), 'placement-api-'));
  const database = opts.databaseUrl ? { url: opts.databaseUrl } : defaultDatabase(dir);
  const { identity, authUrl, placementPassword, as, projects } = await startTestIdentity(dir);
  const api = await createPlacementApi({
    options: resolveOptions('placement', placementOptions, opts.options ?? {}, {}),
    databaseUrl: database.url,
    authUrl, servicePassword: placementPassword, log: silentLogger(),
  });
  const url = await api.listen('127.0.0.1', 0);

  const call = (method: string, path: string, o: CallOptions = {}): Promise<Reply> => {
    const version = o.version === undefined ? 'latest' : o.version;
    return callJson(url, method, path, { ...o, headers: { ...(version !== null ? { 'openstack-api-version': `placement ${version}` } : {}), ...o.headers } });
  };

  const fixture: TestPlacement = {
    api, url, as, projects, call,
    async provider(name, extra = {}) {
      const r = await call('POST', '/resource_providers', { token: as.admin, body: { name, ...extra } });
      assert.equal(r.status, 200, `create provider ${name}: ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async inventory(uuid, inventories) {
      const current = await call('GET', `/resource_providers/${uuid}/inventories`, { token: as.admin });
      assert.equal(current.status, 200, JSON.stringify(current.body));
      const r = await call('PUT', `/resource_providers/${uuid}/inventories`, {
        token: as.admin, body: { resource_provider_generation: current.body.resource_provider_generation, inventories },
      });
      assert.equal(r.status, 200, `set inventory: ${JSON.stringify(r.body)}`);
      return r.body.resource_provider_generation;
    },
    async close() {
      await api.close();
      await identity.close();
      await database.drop?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}
