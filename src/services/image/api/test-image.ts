// Test fixture: the image API in process on 127.0.0.1:0 with a temp SQLite database and file store, authenticating
// against a real Identity started in process, with an admin and three users in two projects to act as.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { createIdentityService, identityOptions } from '#services/identity/roles.ts';
import type { IdentityService } from '#services/identity/roles.ts';
import { createImageApi, imageOptions } from '../roles.ts';
import type { ImageApi } from '../roles.ts';

export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary Glance documents
  body: any;
  /** The raw bytes, for downloads. */
  bytes: Buffer;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (a Buffer for image data); content type defaults to application/octet-stream for a Buffer. */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Persona {
  token: string;
  userId: string;
  projectId: string;
}

/** admin: admin of the admin project; alice, bob: members of projects A and B; rita: reader of project A. */
export type PersonaName = 'admin' | 'alice' | 'bob' | 'rita';

export interface TestImage {
  api: ImageApi;
  url: string;
  storeDir: string;
  as: Record<PersonaName, Persona>;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** POSTs an image as `who`, asserts 201 and returns it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Reply.body
  create(who: Persona, image: Record<string, unknown>): Promise<any>;
  upload(who: Persona, id: string, data: Buffer): Promise<Reply>;
  /** Files in the store, partial uploads included (as `.partial/<name>`). */
  storeFiles(): string[];
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Identity documents are read field by field below
async function identityCall(url: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; token?: string; body: any }> {
  const res = await fetch(`${url}${path}`, {
    method, headers: { ...(token ? { 'x-auth-token': token } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`identity ${method} ${path}: ${res.status} ${text}`);
  return { status: res.status, token: res.headers.get('x-subject-token') ?? undefined, body: text ? JSON.parse(text) : undefined };
}

/** A real Identity in process, with the users and projects the image tests act as. */
async function startTestIdentity(dir: string): Promise<{ identity: IdentityService; authUrl: string; glancePassword: string; as: Record<PersonaName, Persona> }> {
  const identity = await createIdentityService({
    options: resolveOptions('identity', identityOptions, { password_hash_log2n: 10 }, {}), databaseUrl: `sqlite://${dir}/identity.sqlite`,
    keysDir: join(dir, 'keys'), log: silentLogger(), publicUrl: 'http://127.0.0.1',
    bootstrap: { adminPassword: 'secret', region: 'RegionOne', serviceUsers: ['glance'], catalog: [] },
  });
  const base = await identity.listen('127.0.0.1', 0);
  const authUrl = `${base}/v3`;
  const login = async (name: string, password: string, project: string): Promise<{ token: string; userId: string; projectId: string }> => {
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
  return { identity, authUrl, glancePassword: identity.bootstrapResult!.servicePasswords.glance, as };
}

export async function startImage(options: Record<string, unknown> = {}): Promise<TestImage> {
  const dir = mkdtempSync(join(tmpdir(), 'image-api-'));
  const { identity, authUrl, glancePassword, as } = await startTestIdentity(dir);
  const api = await createImageApi({
    options: resolveOptions('image', imageOptions, options, {}), databaseUrl: `sqlite://${dir}/image.sqlite`, dataDir: dir,
    authUrl, servicePassword: glancePassword, log: silentLogger(),
  });
  const url = await api.listen('127.0.0.1', 0);
  const storeDir = join(dir, 'images');

  async function call(method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(opts.token ? { 'x-auth-token': opts.token } : {}), ...opts.headers };
    let body: string | Buffer | undefined = opts.raw;
    if (body === undefined && opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] = opts.contentType ?? (Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json');
    const res = await fetch(`${url}${path}`, { method, headers, body });
    const bytes = Buffer.from(await res.arrayBuffer());
    let parsed: unknown;
    try { parsed = bytes.length && !res.headers.get('content-type')?.includes('octet-stream') ? JSON.parse(bytes.toString('utf8')) : undefined; } catch { parsed = bytes.toString('utf8'); }
    return { status: res.status, headers: res.headers, body: parsed, bytes };
  }

  return {
    api, url, storeDir, as, call,
    async create(who, image) {
      const r = await call('POST', '/v2/images', { token: who.token, body: image });
      if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    upload: (who, id, data) => call('PUT', `/v2/images/${id}/file`, { token: who.token, raw: data }),
    storeFiles() {
      const top = readdirSync(storeDir).filter((f) => f !== '.partial');
      return [...top, ...readdirSync(join(storeDir, '.partial')).map((f) => `.partial/${f}`)].sort();
    },
    async close() {
      await api.close();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
