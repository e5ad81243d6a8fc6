// Test fixture: the object storage proxy and storage node in process on 127.0.0.1:0 with a temp SQLite database and
// four device directories, authenticating against a real Identity with an admin and three users in two projects.
// The replicator and auditor run only when a test asks (service.storageNode), so no pass moves files behind its back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { startTestIdentity } from '#services/identity/test-identity-personas.ts';
import type { Persona, PersonaName } from '#services/identity/test-identity-personas.ts';
import { createObjectStorage, objectStorageOptions } from '../roles.ts';
import type { ObjectStorageService } from '../roles.ts';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  bytes: Buffer;
}

export interface CallOptions {
  token?: string;
  body?: string | Buffer | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
}

export type { Persona, PersonaName };

export interface TestObjectStorage {
  service: ObjectStorageService;
  url: string;
  as: Record<PersonaName, Persona>;
  /** /v1/AUTH_<project> of a persona. */
  account(who: Persona): string;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  close(): Promise<void>;
}

export async function startObjectStorage(options: Record<string, unknown> = {}): Promise<TestObjectStorage> {
  const dir = mkdtempSync(join(tmpdir(), 'object-storage-api-'));
  const { identity, authUrl, servicePasswords, as } = await startTestIdentity(dir, ['swift']);
  let service: ObjectStorageService;
  let url: string;
  try {
    service = await createObjectStorage({
      options: resolveOptions('object_storage', objectStorageOptions, { fsync: false, part_power: 6, replicator_interval: 0, auditor_interval: 0, ...options }, {}),
      databaseUrl: `sqlite://${dir}/object-storage.sqlite`, dataDir: dir, authUrl, servicePassword: servicePasswords.swift, log: silentLogger(),
    });
    url = await service.listen('127.0.0.1', 0);
  } catch (err) {
    await identity.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  async function call(method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(opts.token ? { 'x-auth-token': opts.token } : {}), ...opts.headers };
    const res = await fetch(`${url}${path}`, { method, headers, body: opts.body, ...(opts.body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, text: bytes.toString('utf8'), bytes };
  }

  return {
    service, url, as, call,
    account: (who) => `/v1/AUTH_${who.projectId}`,
    async close() {
      await service.close();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
