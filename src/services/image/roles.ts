// The Image service's one role: createImageApi builds the Glance v2 API on its database and file store.
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib/log.ts';
import { createApiService } from '#lib/http/api-service.ts';
import { installServiceAuth } from '#services/identity/contract/service-auth.ts';
import type { ImageOptions } from './config.ts';
import { imagePolicy } from './policy.ts';
import type { ImageTables } from './db/tables.ts';
import { imageMigrations } from './db/migrations/001-initial.ts';
import { requeueInterruptedUploads, stagedLocations } from './db/images-repo.ts';
import { createFileStore } from './stores/file/file-store.ts';
import { createInflightTracker } from './provider/quota.ts';
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
  return createApiService<ImageTables>({
    name: 'image', log: deps.log, databaseUrl: deps.databaseUrl, migrations: imageMigrations, port: options.port,
    policy: { rules: imagePolicy, file: options.policy_file },
    http: { renderError: glanceErrorRenderer(() => deps.authUrl.replace(/\/v3\/?$/, '')) },
    authenticate: (app) => installServiceAuth(app, { authUrl: deps.authUrl, serviceUser: 'glance', servicePassword: deps.servicePassword, log: deps.log }),
    async build({ app, database, policy }) {
      const requeued = await requeueInterruptedUploads(database.db, new Date().toISOString());
      if (requeued > 0) deps.log.warn({ images: requeued }, 'images left saving, staging or importing by a stopped process are queued (or staged) again');
      const store = createFileStore({ dir: options.store_dir || join(deps.dataDir, 'images') });
      const stagingDir = resolve(deps.dataDir, 'image-staging');
      const staging = createFileStore({ dir: stagingDir });
      // Staged data no image holds (its stage was cut off between the rename and the database update) is removed.
      const held = new Set(await stagedLocations(database.db));
      for (const name of readdirSync(stagingDir)) {
        if (name !== '.partial' && !held.has(pathToFileURL(join(stagingDir, name)).href)) rmSync(join(stagingDir, name), { force: true });
      }
      registerImageRoutes(app, {
        db: database.db, store, staging, policy, inflight: createInflightTracker(), log: deps.log,
        settings: {
          limitParamDefault: options.limit_param_default, apiLimitMax: options.api_limit_max, memberQuota: options.image_member_quota,
          propertyQuota: options.image_property_quota, tagQuota: options.image_tag_quota,
        },
        limits: { imageCountTotal: options.image_count_total, imageSizeTotal: options.image_size_total, imageSizeCap: options.image_size_cap },
      });
    },
  });
}
