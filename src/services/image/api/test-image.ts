// Test fixture: the image API in process on 127.0.0.1:0 with a temp SQLite database and file store, authenticating
// against a real Identity started in process, with an admin and three users in two projects to act as; on request with
// a real Object Storage in process too (in the catalog as `object-store`), for the object-store store.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { startTestIdentity } from '#services/identity/test-identity-personas.ts';
import type { Persona, PersonaName } from '#services/identity/test-identity-personas.ts';
import { createImageApi, imageOptions } from '../roles.ts';
import { createObjectStorage, objectStorageOptions } from '#services/object-storage/roles.ts';
import type { ObjectStorageService } from '#services/object-storage/roles.ts';
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

export type { Persona, PersonaName };

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
  /** The Object Storage started with `{ objectStorage: {…} }`. */
  objectStorage?: TestObjectStorage;
  close(): Promise<void>;
}

export interface TestObjectStorage {
  service: ObjectStorageService;
  /** The glance user's account URL, …/v1/AUTH_<service project>. */
  account: string;
  /** A token of the glance service user (as the image service uses), for reading its account directly. */
  glanceToken(): Promise<string>;
  /** Stops Object Storage (for tests of an outage); close() then leaves it alone. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Start Object Storage too (with these object_storage options) and register it in the catalog. */
  objectStorage?: Record<string, unknown>;
}

async function issueToken(authUrl: string, name: string, password: string): Promise<{ token: string; projectId: string }> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: {
      identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password } } },
      scope: { project: { name: 'service', domain: { id: 'default' } } },
    } }),
  });
  if (res.status !== 201) throw new Error(`token for ${name}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: { project: { id: string } } };
  return { token: res.headers.get('x-subject-token')!, projectId: body.token.project.id };
}

/** Grants `role` on project `project` to user `user` (all in the Default domain), as an admin. */
export async function startImage(options: Record<string, unknown> = {}, start: StartOptions = {}): Promise<TestImage> {
  const dir = mkdtempSync(join(tmpdir(), 'image-api-'));
  const { identity, authUrl, servicePasswords, as, registerEndpoint } = await startTestIdentity(dir, start.objectStorage ? ['glance', 'swift'] : ['glance']);
  let objectStorage: TestObjectStorage | undefined;
  if (start.objectStorage) {
    const service = await createObjectStorage({
      options: resolveOptions('object_storage', objectStorageOptions, { fsync: false, part_power: 6, ...start.objectStorage }, {}),
      databaseUrl: `sqlite://${dir}/object-storage.sqlite`, dataDir: dir, authUrl, servicePassword: servicePasswords.swift, log: silentLogger(),
    });
    const swiftUrl = await service.listen('127.0.0.1', 0);
    await registerEndpoint('object-store', 'swift', `${swiftUrl}/v1/AUTH_%(project_id)s`);
    const glance = await issueToken(authUrl, 'glance', servicePasswords.glance);
    let stopped: Promise<void> | undefined;
    objectStorage = {
      service, account: `${swiftUrl}/v1/AUTH_${glance.projectId}`, stop: () => stopped ??= service.close(),
      glanceToken: async () => (await issueToken(authUrl, 'glance', servicePasswords.glance)).token,
    };
  }
  const api = await createImageApi({
    options: resolveOptions('image', imageOptions, options, {}), databaseUrl: `sqlite://${dir}/image.sqlite`, dataDir: dir,
    authUrl, servicePassword: servicePasswords.glance, log: silentLogger(),
  });
  const url = await api.listen('127.0.0.1', 0);
  const storeDir = join(dir, 'images');

  async function call(method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
    // JSON unless a test asks otherwise, as openstacksdk asks (Glance answers `*/*` with HTML errors).
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.token ? { 'x-auth-token': opts.token } : {}), ...opts.headers };
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
    api, url, storeDir, as, call, objectStorage,
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
      await objectStorage?.stop();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
