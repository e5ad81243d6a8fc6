// Test fixture: every block-storage role in process (api on 127.0.0.1:0, scheduler, conductor, volume service) on a
// private in-memory bus and a temp SQLite database, authenticating against a real Identity started in process, with an
// admin and three users in two projects to act as.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import { callJson } from '#lib/test-http.ts';
import type { CallOptions as BaseCallOptions, Reply } from '#lib/test-http.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { startTestIdentity } from '#services/identity/test-identity-personas.ts';
import type { Persona, PersonaName } from '#services/identity/test-identity-personas.ts';
import { blockStorageOptions, createVolumeService, startBlockStorage } from '../roles.ts';
import { createImageApi, imageOptions } from '#services/image/roles.ts';
import type { ImageApi } from '#services/image/roles.ts';
import { createObjectStorage, objectStorageOptions } from '#services/object-storage/roles.ts';
import type { ObjectStorageService } from '#services/object-storage/roles.ts';
import type { BlockStorageApi, VolumeService } from '../roles.ts';

export type { Reply } from '#lib/test-http.ts';

export interface CallOptions extends BaseCallOptions {
  /** The volume microversion, sent as OpenStack-API-Version. */
  version?: string;
}

export type { Persona, PersonaName };

export interface TestBlockStorage {
  api: BlockStorageApi;
  volume: VolumeService;
  /** The Image service's URL when started withImage. */
  imageUrl: string;
  /** Object Storage's root URL (…/v1 is its API) when started withObjectStorage. */
  swiftUrl: string;
  url: string;
  dir: string;
  options: ReturnType<typeof resolveOptions<typeof blockStorageOptions>>;
  as: Record<PersonaName, Persona>;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** `/v3/<who's project>` + path. */
  p(who: Persona, path: string): string;
  /** Creates a volume as `who`, waits until it leaves `creating` and returns it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Reply.body
  createVolume(who: Persona, volume: Record<string, unknown>): Promise<any>;
  /** Polls GET `path` until `pick(body)` is one of `statuses` (or 404 when statuses includes 'gone'); returns the body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  waitFor(who: Persona, path: string, statuses: string[], pick?: (body: any) => string): Promise<any>;
  /** Stops the volume service and starts a new one on the same bus (a restart of cinder-volume). */
  restartVolumeService(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the roles; with `withImage`, also an Image service on the same Identity, listed in the catalog (before the
 * block-storage API's service session first reads it).
 */
export async function startBlockStorageForTest(overrides: Record<string, unknown> = {}, opts: { withImage?: boolean; withObjectStorage?: boolean } = {}): Promise<TestBlockStorage> {
  const dir = mkdtempSync(join(tmpdir(), 'block-storage-api-'));
  const { identity, authUrl, servicePasswords, as, registerEndpoint } = await startTestIdentity(dir, ['cinder', 'glance', ...(opts.withObjectStorage ? ['swift'] : [])]);
  let swift: ObjectStorageService | undefined;
  let swiftUrl = '';
  if (opts.withObjectStorage) {
    swift = await createObjectStorage({
      options: resolveOptions('object_storage', objectStorageOptions, { fsync: false, part_power: 6 }, {}),
      databaseUrl: `sqlite://${dir}/object-storage.sqlite`, dataDir: dir, authUrl, servicePassword: servicePasswords.swift, log: silentLogger(),
    });
    swiftUrl = await swift.listen('127.0.0.1', 0);
    await registerEndpoint('object-store', 'swift', `${swiftUrl}/v1/AUTH_%(project_id)s`);
  }
  let image: ImageApi | undefined;
  let imageUrl = '';
  if (opts.withImage) {
    image = await createImageApi({
      options: resolveOptions('image', imageOptions, {}, {}), databaseUrl: `sqlite://${dir}/image.sqlite`, dataDir: join(dir, 'image-data'),
      authUrl, servicePassword: servicePasswords.glance, log: silentLogger(),
    });
    imageUrl = await image.listen('127.0.0.1', 0);
    await registerEndpoint('image', 'glance', imageUrl);
  }
  const options = resolveOptions('block_storage', blockStorageOptions, { volume_driver: 'fake', bus_url: `memory://bs-${randomUUID()}`, ...overrides }, {});
  const log = silentLogger();
  const bs = await startBlockStorage({ options, databaseUrl: `sqlite://${dir}/block_storage.sqlite`, dataDir: dir, authUrl, servicePassword: servicePasswords.cinder, log });
  const url = await bs.api.listen('127.0.0.1', 0);
  let volume = bs.volume;

  const call = (method: string, path: string, opts: CallOptions = {}): Promise<Reply> =>
    callJson(url, method, path, { ...opts, headers: { ...(opts.version ? { 'openstack-api-version': `volume ${opts.version}` } : {}), ...opts.headers } });
  const p = (who: Persona, path: string) => `/v3/${who.projectId}${path}`;

  async function waitFor(who: Persona, path: string, statuses: string[], pick = (b: Record<string, { status: string }>) => Object.values(b)[0].status) {
    for (let i = 0; i < 200; i++) {
      const r = await call('GET', path, { token: who.token });
      if (r.status === 404 && statuses.includes('gone')) return r.body;
      assert.equal(r.status, 200, `GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      if (statuses.includes(pick(r.body))) return r.body;
      await new Promise((d) => setTimeout(d, 25));
    }
    throw new Error(`${path} never reached ${statuses.join('/')}`);
  }

  return {
    api: bs.api, get volume() { return volume; }, url, dir, imageUrl, swiftUrl, options, as, call, p, waitFor,
    async createVolume(who, v) {
      const r = await call('POST', p(who, '/volumes'), { token: who.token, body: { volume: v } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return (await waitFor(who, p(who, `/volumes/${r.body.volume.id}`), ['available', 'error'])).volume;
    },
    async restartVolumeService() {
      await volume.close();
      volume = await createVolumeService({ options, dataDir: dir, log });
    },
    async close() {
      await bs.close();
      await volume.close().catch(() => undefined);
      await image?.close();
      await swift?.close();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
