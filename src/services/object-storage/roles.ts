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
import { describeRecon, reconReport } from './agent/recon-report.ts';
import { movedReplicas } from './domain/ring/ring-builder.ts';
import { createDiskObjectServer } from './agent/object-server.ts';
import { startStorageNodePasses } from './agent/storage-node-passes.ts';
import type { StorageNodePasses } from './agent/storage-node-passes.ts';
import { createReplicas } from './api/replicas.ts';
import { swiftErrorRenderer } from './api/render-error.ts';
import { registerObjectStorageRoutes } from './api/routes.ts';
import { startExpirer } from './api/expirer.ts';
import { createPendingUpdates } from './api/pending-updates.ts';
import { updaterPass } from './api/object-updater.ts';
import type { UpdaterReport } from './api/object-updater.ts';
import { startPeriodicPass } from './agent/periodic.ts';
import type { PeriodicPass } from './agent/periodic.ts';
import type { Ring } from './domain/ring/ring.ts';
import { createStorageNodeClient, isRemoteDevice } from './rpc/object-server-http-client.ts';
import type { StorageNodeClient } from './rpc/object-server-http-client.ts';
import { routeObjectServer } from './rpc/device-router.ts';
import { createStorageNodeHttp } from './agent/storage-node-http.ts';

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
  /** The storage nodes' shared secret; asked for only when the ring has devices on storage nodes (scale-out). */
  nodeSecret?: () => string;
}

export interface ObjectStorageService {
  app: FastifyInstance;
  ring: Ring;
  /** Where the device directories are. */
  objectsDir: string;
  /** The storage node's replicator and auditor: periodic, and runnable on demand (`stratus` and tests). */
  storageNode: Pick<StorageNodePasses, 'replicate' | 'audit'>;
  /** The object updater (listing repair from pending records): periodic, and one pass on demand. */
  updater: { run(): Promise<UpdaterReport> };
  listen(host: string, port?: number): Promise<string>;
  close(): Promise<void>;
}

/** Loads (or builds) the ring, creates missing devices when configured to, and builds the proxy. */
export async function createObjectStorage(deps: ObjectStorageDeps): Promise<ObjectStorageService> {
  const { options } = deps;
  const objectsDir = options.objects_dir || join(deps.dataDir, 'objects');
  const ring = await loadRing(objectsDir, { devices: options.devices, replicas: options.replicas, partPower: options.part_power });
  // Devices with an ip:port in the ring are on storage nodes, reached over HTTP; the rest are this process's own.
  const localDevices = ring.devices.filter((d) => !isRemoteDevice(d)).map((d) => d.name);
  const remote = localDevices.length < ring.devices.length ? nodeClient(ring, options, deps.log, deps.nodeSecret) : undefined;
  if (options.create_devices) for (const d of localDevices) mkdirSync(join(objectsDir, d), { recursive: true });
  const storageNode = startStorageNodePasses({ ring, root: objectsDir, options, log: deps.log, devices: localDevices, remote });
  const disk = createDiskObjectServer({ root: objectsDir, hashSuffix: ring.hashSuffix, fsync: options.fsync, hashes: storageNode.hashes });
  const local = new Set(localDevices);
  const server = remote ? routeObjectServer((d) => local.has(d), disk, remote) : disk;
  // Swift's async_pending, on the proxy: a write's record until its listing is updated, repaired from by the updater.
  const pending = createPendingUpdates({ dir: pendingDir(objectsDir), fsync: options.fsync });
  let updater: PeriodicPass<UpdaterReport> | undefined;
  const api = await createApiService<ObjectStorageTables>({
    name: 'object-storage', log: deps.log, databaseUrl: deps.databaseUrl, migrations: objectStorageMigrations, port: options.port,
    policy: { rules: objectStoragePolicy, file: options.policy_file },
    http: { renderError: swiftErrorRenderer(() => deps.authUrl.replace(/\/v3\/?$/, '')), requestIdHeaders: ['x-trans-id'] },
    authenticate: (app) => installServiceAuth(app, { authUrl: deps.authUrl, serviceUser: 'swift', servicePassword: deps.servicePassword, log: deps.log }),
    build({ app, database, policy }) {
      const proxy = {
        db: database.db, policy, log: deps.log, replicas: createReplicas({ ring, server, log: deps.log }), pending,
        settings: { verifyOnReadMaxBytes: options.verify_on_read_max_bytes, maxFileSize: options.max_file_size, listingLimit: options.container_listing_limit,
          corsAllowOrigin: options.cors_allow_origin },
      };
      registerObjectStorageRoutes(app, proxy);
      const running = startPeriodicPass({ name: 'updater', intervalMs: options.updater_interval * 1000, log: deps.log, pass: (signal) => updaterPass({ ...proxy, signal }) });
      updater = running;
      const expirer = options.expirer_interval > 0 ? startExpirer(proxy, { intervalMs: options.expirer_interval * 1000, log: deps.log }) : undefined;
      return async () => { await Promise.all([expirer?.stop(), running.stop()]); };
    },
  }).catch(async (err: unknown) => { await storageNode.stop(); remote?.close(); throw err; });
  const started = updater!;
  return {
    app: api.app, ring, objectsDir, listen: api.listen, storageNode, updater: { run: () => started.runOnce() },
    async close() { await storageNode.stop(); await api.close(); remote?.close(); },
  };
}

function nodeClient(ring: Ring, options: ObjectStorageOptions, log: Logger, secret: (() => string) | undefined): StorageNodeClient {
  if (!secret) throw new Error('the object ring has devices on storage nodes, but no storage node secret was given');
  return createStorageNodeClient({ ring, secret: secret(), log, timeoutMs: options.node_timeout * 1000, checkIntervalMs: options.node_check_interval * 1000 });
}

/** Where the proxy keeps its pending listing updates (Swift's async_pending). */
const pendingDir = (objectsDir: string) => join(objectsDir, 'async_pending');

export interface ObjectStorageNodeDeps {
  options: ObjectStorageOptions;
  dataDir: string;
  /** This node's address as the ring's devices name it (`name@host:port`): its devices are those at this address. */
  address: { host: string; port: number };
  /** Where to listen (e.g. 0.0.0.0); the port is address.port. */
  bindHost: string;
  nodeSecret: string;
  log: Logger;
}

export interface ObjectStorageNode {
  ring: Ring;
  /** The ring devices this node serves. */
  devices: string[];
  port: number;
  storageNode: Pick<StorageNodePasses, 'replicate' | 'audit'>;
  close(): Promise<void>;
}

/**
 * The `object-storage-node` role (scale-out): Swift's object server and replication over HTTP for the ring devices at
 * this node's address, with the replicator pushing to the other nodes and the auditor checking the local replicas.
 * Undefined when no ring device is at this address.
 */
export async function createObjectStorageNode(deps: ObjectStorageNodeDeps): Promise<ObjectStorageNode | undefined> {
  const { options } = deps;
  const objectsDir = options.objects_dir || join(deps.dataDir, 'objects');
  const ring = await loadRing(objectsDir, { devices: options.devices, replicas: options.replicas, partPower: options.part_power });
  const devices = ring.devices.filter((d) => d.ip === deps.address.host && d.port === deps.address.port).map((d) => d.name);
  // None here: the all-in-one ring (no addresses; `stratus up` starts every role) or a host that serves no device yet.
  if (devices.length === 0) return undefined;
  if (options.create_devices) for (const d of devices) mkdirSync(join(objectsDir, d), { recursive: true });
  const client = createStorageNodeClient({ ring, secret: deps.nodeSecret, log: deps.log, timeoutMs: options.node_timeout * 1000, checkIntervalMs: options.node_check_interval * 1000 });
  const passes = startStorageNodePasses({ ring, root: objectsDir, options, log: deps.log, devices, remote: client });
  const objects = createDiskObjectServer({ root: objectsDir, hashSuffix: ring.hashSuffix, fsync: options.fsync, hashes: passes.hashes });
  const http = createStorageNodeHttp({ ring, devices, objects, replication: passes.endpoint, secret: deps.nodeSecret, log: deps.log });
  const stop = async () => { await passes.stop(); await http.close(); client.close(); };
  const port = await http.listen(deps.bindHost, deps.address.port).catch(async (err: unknown) => { await stop(); throw err; });
  return { ring, devices, port, storageNode: passes, close: stop };
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

/**
 * `stratus recon`: what the background daemons left on this host's devices (quarantined replicas, temp files) and the
 * listing updates waiting for the object updater; as text, or the report itself for `--json`. Reads the ring file
 * without changing it.
 */
export async function objectReconReport(dataDir: string, options: ObjectStorageOptions, opts: { json?: boolean } = {}): Promise<string> {
  const objectsDir = options.objects_dir || join(dataDir, 'objects');
  const path = join(objectsDir, 'object.ring.json');
  const devices = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Ring).devices.map((d) => d.name) : options.devices.map((d) => d.split(':')[0]);
  const report = await reconReport(objectsDir, devices, pendingDir(objectsDir));
  return opts.json ? `${JSON.stringify(report, null, 2)}\n` : describeRecon(objectsDir, report);
}
