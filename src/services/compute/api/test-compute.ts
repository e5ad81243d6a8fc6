// Test fixture: the compute API in process on 127.0.0.1:0 with a temp SQLite database, authenticating against a real
// Identity started in process, with an admin and three users in two projects to act as.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { startTestIdentity } from '#services/identity/test-identity-personas.ts';
import type { Persona, PersonaName } from '#services/identity/test-identity-personas.ts';
import { computeOptions, createComputeApi } from '../roles.ts';
import type { ComputeApi } from '../roles.ts';

export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary Nova documents
  body: any;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is, as application/json. */
  raw?: string;
  /** The compute microversion, sent as OpenStack-API-Version. */
  version?: string;
  headers?: Record<string, string>;
}

export type { Persona, PersonaName };

export interface TestCompute {
  api: ComputeApi;
  url: string;
  as: Record<PersonaName, Persona>;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  close(): Promise<void>;
}

export async function startCompute(options: Record<string, unknown> = {}): Promise<TestCompute> {
  const dir = mkdtempSync(join(tmpdir(), 'compute-api-'));
  const { identity, authUrl, servicePasswords, as } = await startTestIdentity(dir, ['nova']);
  const api = await createComputeApi({
    options: resolveOptions('compute', computeOptions, options, {}), databaseUrl: `sqlite://${dir}/compute.sqlite`,
    authUrl, servicePassword: servicePasswords.nova, log: silentLogger(),
  });
  const url = await api.listen('127.0.0.1', 0);

  async function call(method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {
      ...(opts.token ? { 'x-auth-token': opts.token } : {}), ...(opts.version ? { 'openstack-api-version': `compute ${opts.version}` } : {}), ...opts.headers,
    };
    const body = opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  return {
    api, url, as, call,
    async close() {
      await api.close();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
