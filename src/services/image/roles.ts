// The Image service's one role: createImageApi builds the Glance v2 API on its database and file store.
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib/log.ts';
import { createApiService } from '#lib/http/api-service.ts';
import { installServiceAuth } from '#services/identity/contract/service-auth.ts';
import type { ServiceAuth } from '#services/identity/contract/service-auth.ts';
import type { ImageOptions } from './config.ts';
import { imagePolicy } from './policy.ts';
import type { ImageTables } from './db/tables.ts';
import { imageMigrations } from './db/migrations/index.ts';
import { requeueInterruptedUploads, stagedLocations } from './db/images-repo.ts';
import { releaseStaleImportLocks } from './db/import-progress-repo.ts';
import { createImportLocks } from './provider/import-lock.ts';
import { createFileStore } from './stores/file/file-store.ts';
import { createObjectStore } from './stores/object-store/object-store.ts';
import { createSwiftClient } from './stores/object-store/swift-client.ts';
import { createStoreSet } from './stores/store-set.ts';
import type { StoreSet } from './stores/store-set.ts';
import type { ImageStore } from './stores/store.ts';
import { createInflightTracker } from './provider/quota.ts';
import { createImportTasks } from './provider/import-tasks.ts';
import { glanceErrorRenderer } from './api/render-error.ts';
import { registerImageRoutes } from './api/routes.ts';

export { imageOptions } from './config.ts';
export type { ImageOptions } from './config.ts';

export interface ImageApiServiceDeps {
  options: ImageOptions;
  databaseUrl: string;
  /** The data directory: the file store lives in <dataDir>/images unless options.store_dir says otherwise. */
  dataDir: string;
  /** Identity's v3 root, where callers' tokens are validated. */
  authUrl: string;
  /** The `glance` service user's password. */
  servicePassword: string;
  log: Logger;
}

export interface ImageApi {
  app: FastifyInstance;
  listen(host: string, port?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens (and migrates) the database, puts images left mid-upload by a stopped process back in `queued`, removes their
 * partial data, and builds the API. Call listen() to serve and close() to stop.
 */
export async function createImageApi(deps: ImageApiServiceDeps): Promise<ImageApi> {
  const { options } = deps;
  let auth: ServiceAuth | undefined;
  return createApiService<ImageTables>({
    name: 'image', log: deps.log, databaseUrl: deps.databaseUrl, migrations: imageMigrations, port: options.port,
    policy: { rules: imagePolicy, file: options.policy_file },
    http: { renderError: glanceErrorRenderer(() => deps.authUrl.replace(/\/v3\/?$/, '')) },
    authenticate: (app) => auth = installServiceAuth(app, { authUrl: deps.authUrl, serviceUser: 'glance', servicePassword: deps.servicePassword, log: deps.log }),
    async build({ app, database, policy }) {
      const requeued = await requeueInterruptedUploads(database.db, new Date().toISOString());
      if (requeued > 0) deps.log.warn({ images: requeued }, 'images left saving, staging or importing by a stopped process are queued (or staged) again');
      const unlocked = await releaseStaleImportLocks(database.db, new Date().toISOString());
      if (unlocked > 0) deps.log.warn({ images: unlocked }, 'imports cut off by a stopped process are unlocked; their stores are listed in os_glance_failed_import');
      const store = configuredStores(options, deps.dataDir, auth!);
      const stagingDir = resolve(deps.dataDir, 'image-staging');
      const staging = createFileStore({ dir: stagingDir });
      // Staged data no image holds (its stage was cut off between the rename and the database update) is removed.
      const held = new Set(await stagedLocations(database.db));
      for (const name of readdirSync(stagingDir)) {
        if (name !== '.partial' && !held.has(pathToFileURL(join(stagingDir, name)).href)) rmSync(join(stagingDir, name), { force: true });
      }
      const tasks = createImportTasks(deps.log);
      registerImageRoutes(app, {
        db: database.db, store, staging, policy, inflight: createInflightTracker(), tasks, log: deps.log,
        locks: createImportLocks(database.db, { expirySeconds: options.import_lock_expiry, log: deps.log }),
        settings: {
          limitParamDefault: options.limit_param_default, apiLimitMax: options.api_limit_max, memberQuota: options.image_member_quota,
          propertyQuota: options.image_property_quota, tagQuota: options.image_tag_quota,
        },
        limits: { imageCountTotal: options.image_count_total, imageSizeTotal: options.image_size_total, imageSizeCap: options.image_size_cap },
      });
      // Copies still running stop (and clean up after themselves) before the database closes.
      return () => tasks.close();
    },
  });
}

/**
 * The stores `stores` names, behind one StoreSet whose default is `default_store`. The object-store store writes to the
 * glance user's own account, found in its service session's catalog (Glance's single-tenant swift store).
 */
function configuredStores(options: ImageOptions, dataDir: string, auth: ServiceAuth): StoreSet {
  const known = ['file', 'object-store'];
  const unknown = options.stores.filter((id) => !known.includes(id));
  if (unknown.length) throw new Error(`option image.stores: unknown store(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  if (!options.stores.includes(options.default_store)) throw new Error(`option image.default_store ${options.default_store} is not one of image.stores (${options.stores.join(', ')})`);
  const stores: ImageStore[] = [];
  if (options.stores.includes('file')) stores.push(createFileStore({ dir: options.store_dir || join(dataDir, 'images') }));
  if (options.stores.includes('object-store')) {
    const swift = createSwiftClient({ endpoint: () => auth.endpoint('object-store'), token: () => auth.serviceToken() });
    stores.push(createObjectStore({ swift, container: options.object_store_container }));
  }
  return createStoreSet(stores, options.default_store);
}
