// Test fixture: the image API in process on 127.0.0.1:0 with a temp SQLite database and file store, authenticating
// against a real Identity started in process, with an admin and three users in two projects to act as.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { startTestIdentity } from '#services/identity/test-identity-personas.ts';
import type { Persona, PersonaName } from '#services/identity/test-identity-personas.ts';
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
  close(): Promise<void>;
}

export async function startImage(options: Record<string, unknown> = {}): Promise<TestImage> {
  const dir = mkdtempSync(join(tmpdir(), 'image-api-'));
  const { identity, authUrl, servicePasswords, as } = await startTestIdentity(dir, ['glance']);
  const api = await createImageApi({
    options: resolveOptions('image', imageOptions, options, {}), databaseUrl: `sqlite://${dir}/image.sqlite`, dataDir: dir,
    authUrl, servicePassword: servicePasswords.glance, log: silentLogger(),
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
