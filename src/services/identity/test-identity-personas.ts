// Test fixture for other services' API tests: a real Identity in process, with the admin and three users in two
// projects to act as (alice member and rita reader of project-a, bob member of project-b), and service users.
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { createIdentityService, identityOptions } from './roles.ts';
import type { IdentityService } from './roles.ts';

export interface Persona { token: string; userId: string; projectId: string }
export type PersonaName = 'admin' | 'alice' | 'bob' | 'rita';

export interface TestIdentity {
  identity: IdentityService;
  /** Identity's v3 root. */
  authUrl: string;
  /** Passwords of the service users asked for. */
  servicePasswords: Record<string, string>;
  as: Record<PersonaName, Persona>;
  /** Adds a service with a public endpoint to the catalog, so services find each other as in a real cloud. */
  registerEndpoint(type: string, name: string, url: string): Promise<void>;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Identity documents are read field by field below
async function identityCall(url: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ token?: string; body: any }> {
  const res = await fetch(`${url}${path}`, {
    method, headers: { ...(token ? { 'x-auth-token': token } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`identity ${method} ${path}: ${res.status} ${text}`);
  return { token: res.headers.get('x-subject-token') ?? undefined, body: text ? JSON.parse(text) : undefined };
}

/** Starts Identity on 127.0.0.1:0 with its database and keys under `dir` (cheap password hashing, for speed). */
export async function startTestIdentity(dir: string, serviceUsers: string[]): Promise<TestIdentity> {
  const identity = await createIdentityService({
    options: resolveOptions('identity', identityOptions, { password_hash_log2n: 10 }, {}), databaseUrl: `sqlite://${dir}/identity.sqlite`,
    keysDir: join(dir, 'keys'), log: silentLogger(), publicUrl: 'http://127.0.0.1',
    bootstrap: { adminPassword: 'secret', region: 'RegionOne', serviceUsers, catalog: [] },
  });
  const base = await identity.listen('127.0.0.1', 0);
  const login = async (name: string, password: string, project: string): Promise<Persona> => {
    const r = await identityCall(base, 'POST', '/v3/auth/tokens', undefined, { auth: {
      identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password } } },
      scope: { project: { name: project, domain: { id: 'default' } } },
    } });
    return { token: r.token!, userId: r.body.token.user.id, projectId: r.body.token.project.id };
  };
  const admin = await login('admin', 'secret', 'admin');
  const roles = (await identityCall(base, 'GET', '/v3/roles', admin.token)).body.roles as { id: string; name: string }[];
  const roleId = (name: string) => roles.find((r) => r.name === name)!.id;
  const projects: Record<string, string> = {};
  for (const name of ['project-a', 'project-b']) {
    projects[name] = (await identityCall(base, 'POST', '/v3/projects', admin.token, { project: { name, domain_id: 'default' } })).body.project.id;
  }
  const persona = async (name: string, project: string, role: string): Promise<Persona> => {
    const user = (await identityCall(base, 'POST', '/v3/users', admin.token, { user: { name, domain_id: 'default', password: `${name}-pw` } })).body.user;
    await identityCall(base, 'PUT', `/v3/projects/${projects[project]}/users/${user.id}/roles/${roleId(role)}`, admin.token);
    return login(name, `${name}-pw`, project);
  };
  const as = {
    admin,
    alice: await persona('alice', 'project-a', 'member'),
    bob: await persona('bob', 'project-b', 'member'),
    rita: await persona('rita', 'project-a', 'reader'),
  };
  async function registerEndpoint(type: string, name: string, url: string): Promise<void> {
    const service = (await identityCall(base, 'POST', '/v3/services', admin.token, { service: { type, name } })).body.service;
    await identityCall(base, 'POST', '/v3/endpoints', admin.token, { endpoint: { service_id: service.id, interface: 'public', url, region_id: 'RegionOne' } });
  }
  return {
    identity, authUrl: `${base}/v3`, servicePasswords: identity.bootstrapResult!.servicePasswords, as, registerEndpoint, close: () => identity.close(),
  };
}
