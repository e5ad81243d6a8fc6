// Object Storage's roles in one process: the proxy (the Swift v1 API) over the storage node's object server on local
// devices, placed by the ring; account and container state in the service's database.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib/log.ts';
import { createApiService } from '#lib/http/api-service.ts';
import { installServiceAuth } from '#services/identity/contract/service-auth.ts';
import type { ObjectStorageOptions } from './config.ts';
import { objectStoragePolicy } from './policy.ts';
import type { ObjectStorageTables } from './db/tables.ts';
import { objectStorageMigrations } from './db/migrations/001-initial.ts';
import { loadRing } from './agent/ring-file.ts';
import { describeRing } from './agent/ring-report.ts';
import { movedReplicas } from './domain/ring/ring-builder.ts';
import { createDiskObjectServer } from './agent/object-server.ts';
import { startStorageNodePasses } from './agent/storage-node-passes.ts';
import type { StorageNodePasses } from './agent/storage-node-passes.ts';
import { createReplicas } from './api/replicas.ts';
import { swiftErrorRenderer } from './api/render-error.ts';
import { registerObjectStorageRoutes } from './api/routes.ts';
import { startExpirer } from './api/expirer.ts';
import type { Ring } from './domain/ring/ring.ts';

export { objectStorageOptions } from './config.ts';
export type { ObjectStorageOptions } from './config.ts';

export interface ObjectStorageDeps {
  options: ObjectStorageOptions;
  databaseUrl: string;
  /** The data directory: devices and the ring live in <dataDir>/objects unless options.objects_dir says otherwise. */
  dataDir: string;
  authUrl: string;
  /** The `swift` service user's password. */
  servicePassword: string;
  log: Logger;
}

export interface ObjectStorageService {
  app: FastifyInstance;
  ring: Ring;
  /** Where the device directories are. */
  objectsDir: string;
  /** The storage node's replicator and auditor: periodic, and runnable on demand (`stratus` and tests). */
  storageNode: Pick<StorageNodePasses, 'replicate' | 'audit'>;
  listen(host: string, port?: number): Promise<string>;
  close(): Promise<void>;
}

/** Loads (or builds) the ring, creates missing devices when configured to, and builds the proxy. */
export async function createObjectStorage(deps: ObjectStorageDeps): Promise<ObjectStorageService> {
  const { options } = deps;
  const objectsDir = options.objects_dir || join(deps.dataDir, 'objects');
  const ring = await loadRing(objectsDir, { devices: options.devices, replicas: options.replicas, partPower: options.part_power });
  if (options.create_devices) for (const d of ring.devices) mkdirSync(join(objectsDir, d.name), { recursive: true });
  const storageNode = startStorageNodePasses({ ring, root: objectsDir, options, log: deps.log });
  const server = createDiskObjectServer({ root: objectsDir, hashSuffix: ring.hashSuffix, fsync: options.fsync, hashes: storageNode.hashes });
  const api = await createApiService<ObjectStorageTables>({
    name: 'object-storage', log: deps.log, databaseUrl: deps.databaseUrl, migrations: objectStorageMigrations, port: options.port,
    policy: { rules: objectStoragePolicy, file: options.policy_file },
    http: { renderError: swiftErrorRenderer(() => deps.authUrl.replace(/\/v3\/?$/, '')), requestIdHeaders: ['x-trans-id'] },
    authenticate: (app) => installServiceAuth(app, { authUrl: deps.authUrl, serviceUser: 'swift', servicePassword: deps.servicePassword, log: deps.log }),
    build({ app, database, policy }) {
      const proxy = {
        db: database.db, policy, log: deps.log, replicas: createReplicas({ ring, server, log: deps.log }),
        settings: { verifyOnReadMaxBytes: options.verify_on_read_max_bytes, maxFileSize: options.max_file_size, listingLimit: options.container_listing_limit,
          corsAllowOrigin: options.cors_allow_origin },
      };
      registerObjectStorageRoutes(app, proxy);
      if (options.expirer_interval <= 0) return;
      const expirer = startExpirer(proxy, { intervalMs: options.expirer_interval * 1000, log: deps.log });
      return () => expirer.stop();
    },
  }).catch(async (err: unknown) => { await storageNode.stop(); throw err; });
  return {
    app: api.app, ring, objectsDir, listen: api.listen, storageNode,
    async close() { await storageNode.stop(); await api.close(); },
  };
}

/**
 * `stratus ring`: loads the object ring from the data directory — building or rebalancing it first when the configured
 * devices or replicas changed (what a restart would do) — and describes it.
 */
export async function objectRingReport(dataDir: string, options: ObjectStorageOptions): Promise<string> {
  const objectsDir = options.objects_dir || join(dataDir, 'objects');
  const path = join(objectsDir, 'object.ring.json');
  const before = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as Ring : undefined;
  const ring = await loadRing(objectsDir, { devices: options.devices, replicas: options.replicas, partPower: options.part_power });
  const moved = before && JSON.stringify(before) !== JSON.stringify(ring) ? movedReplicas(before, ring) : undefined;
  return `${path}\n${describeRing(ring, { moved })}`;
}
