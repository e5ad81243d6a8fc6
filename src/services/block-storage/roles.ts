// Block storage's roles, as Cinder's processes: createBlockStorageApi (cinder-api), createBlockStorageScheduler
// (cinder-scheduler), createBlockStorageConductor (records what the database-less volume service reports) and
// createVolumeService (cinder-volume, one per backend). They talk over the bus named by `bus_url`; startBlockStorage
// runs all four in one process, as `stratus up` does.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib/log.ts';
import { newRequestId } from '#lib/context.ts';
import { createApiService } from '#lib/http/api-service.ts';
import { openDatabase, runMigrations } from '#lib/db/index.ts';
import type { Database } from '#lib/db/index.ts';
import { createBus } from '#lib/bus/index.ts';
import type { Bus, Subscription } from '#lib/bus/index.ts';
import { installServiceAuth } from '#services/identity/contract/service-auth.ts';
import type { ServiceAuth } from '#services/identity/contract/service-auth.ts';
import { createIdentityClient, createServiceSession } from '#services/identity/contract/client.ts';
import type { BlockStorageOptions } from './config.ts';
import { blockStoragePolicy } from './policy.ts';
import type { BlockStorageTables } from './db/tables.ts';
import { blockStorageMigrations } from './db/migrations/001-initial.ts';
import { unscheduledVolumes, updateVolume } from './db/volumes-repo.ts';
import { heartbeat } from './db/services-repo.ts';
import { schedulerRpc } from './rpc/scheduler-rpc.ts';
import { volumeRpc } from './rpc/volume-rpc.ts';
import { conductorRpc } from './rpc/conductor-rpc.ts';
import { cinderErrorRenderer } from './api/render-error.ts';
import { installMicroversions } from './api/microversion.ts';
import { registerBlockStorageRoutes } from './api/routes.ts';
import { swiftAccountUrl } from './api/backup-swift-url.ts';
import { schedulerHandlers } from './scheduler/scheduler-manager.ts';
import { conductorHandlers } from './conductor/conductor-manager.ts';
import { createNotifier } from './conductor/notifier.ts';
import { failWorkOfDeadHosts } from './conductor/dead-hosts.ts';
import { volumeDrivers } from './volume/driver-registry.ts';
import type { VolumeDriver } from './volume/drivers/volume-driver.ts';
import { volumeManagerHandlers } from './volume/volume-manager.ts';
import { createBackupService } from './volume/backup/backup-service.ts';
import { startReporter } from './volume/capabilities-reporter.ts';

export { blockStorageOptions } from './config.ts';
export type { BlockStorageOptions } from './config.ts';

export interface Role {
  close(): Promise<void>;
}

const systemContext = () => { const id = newRequestId(); return { requestId: id, globalRequestId: id }; };

function quotaDefaults(o: BlockStorageOptions) {
  return {
    volumes: o.quota_volumes, snapshots: o.quota_snapshots, gigabytes: o.quota_gigabytes, backups: o.quota_backups,
    backup_gigabytes: o.quota_backup_gigabytes, groups: o.quota_groups, per_volume_gigabytes: o.per_volume_gigabytes,
  };
}

async function openMigrated(databaseUrl: string, log: Logger): Promise<Database<BlockStorageTables>> {
  const database = await openDatabase<BlockStorageTables>({ url: databaseUrl, log });
  try {
    await runMigrations(database, blockStorageMigrations);
    return database;
  } catch (err) {
    await database.close();
    throw err;
  }
}

export interface BlockStorageApiDeps {
  options: BlockStorageOptions;
  databaseUrl: string;
  authUrl: string;
  /** The `cinder` service user's password. */
  servicePassword: string;
  log: Logger;
}

export interface BlockStorageApi extends Role {
  app: FastifyInstance;
  listen(host: string, port?: number): Promise<string>;
}

/** cinder-api: validates, authorizes, records, and hands work to the scheduler and volume services over the bus. */
export async function createBlockStorageApi(deps: BlockStorageApiDeps): Promise<BlockStorageApi> {
  const { options } = deps;
  const bus = await createBus(options.bus_url, deps.log);
  let auth: ServiceAuth | undefined;
  try {
    const service = await createApiService<BlockStorageTables>({
      name: 'block-storage', log: deps.log, databaseUrl: deps.databaseUrl, migrations: blockStorageMigrations, port: options.port,
      policy: { rules: blockStoragePolicy, file: options.policy_file },
      http: { renderError: cinderErrorRenderer(() => deps.authUrl) },
      authenticate: (app) => {
        auth = installServiceAuth(app, { authUrl: deps.authUrl, serviceUser: 'cinder', servicePassword: deps.servicePassword, log: deps.log });
        return auth;
      },
      build({ app, database, policy }) {
        installMicroversions(app);
        const session = auth!;
        registerBlockStorageRoutes(app, {
          db: database.db, policy, images: { endpoint: () => session.endpoint('image'), serviceToken: () => session.serviceToken() },
          backups: {
            store: options.backup_driver === 'object-store' ? 'swift' : 'file', defaultContainer: options.backup_container,
            swiftAccountUrl: (projectId) => swiftAccountUrl({ configured: options.backup_swift_url, catalog: () => session.endpoint('object-store') }, projectId),
          },
          scheduler: schedulerRpc.client(bus), volume: volumeRpc.client(bus), log: deps.log,
          settings: {
            maxLimit: options.max_limit, quotaDefaults: quotaDefaults(options), defaultFormat: options.volume_format,
            defaultZone: options.storage_availability_zone, rpcTimeoutMs: options.rpc_timeout_ms, serviceDownTimeS: options.service_down_time_s,
          },
        });
      },
    });
    return { app: service.app, listen: service.listen, async close() { await service.close(); await bus.close(); } };
  } catch (err) {
    await bus.close();
    throw err;
  }
}

export interface BackendDeps {
  options: BlockStorageOptions;
  databaseUrl: string;
  log: Logger;
}

/** Runs `serve` on a fresh bus and database, closing both if it fails; close() undoes it all. */
async function withBusAndDb(deps: BackendDeps, serve: (bus: Bus, database: Database<BlockStorageTables>) => Promise<{ subs: Subscription[]; stop?(): void }>): Promise<Role> {
  const database = await openMigrated(deps.databaseUrl, deps.log);
  const bus = await createBus(deps.options.bus_url, deps.log);
  try {
    const { subs, stop } = await serve(bus, database);
    return {
      async close() {
        stop?.();
        for (const s of subs) await s.close();
        await bus.close();
        await database.close();
      },
    };
  } catch (err) {
    await bus.close();
    await database.close();
    throw err;
  }
}

/** cinder-scheduler: keeps backends' capabilities and places new volumes; reports its own heartbeat. */
export function createBlockStorageScheduler(deps: BackendDeps): Promise<Role & { backends?: unknown }> {
  return withBusAndDb(deps, async (bus, database) => {
    const handlers = schedulerHandlers({ db: database.db, bus, staleAfterMs: deps.options.service_down_time_s * 1000, log: deps.log });
    const sub = await schedulerRpc.serve(bus, deps.options.host, handlers);
    const conductor = conductorRpc.client(bus);
    const beat = () => conductor.cast('reportState', { binary: 'cinder-scheduler', host: deps.options.host, zone: deps.options.storage_availability_zone }, systemContext())
      .catch((err: Error) => deps.log.warn({ err: err.message }, 'cannot report the scheduler\'s heartbeat'));
    void beat();
    const timer = setInterval(() => void beat(), deps.options.report_interval_s * 1000);
    timer.unref();
    return { subs: [sub], stop: () => clearInterval(timer) };
  });
}

/**
 * The conductor: records volume-service outcomes and heartbeats. On start, and then periodically, volumes whose
 * create never reached a scheduler (host still unset after the RPC timeout) go to error, and so does the unfinished
 * work of volume services that stopped reporting, so nothing stays transitional forever.
 */
export function createBlockStorageConductor(deps: BackendDeps & { authUrl?: string; servicePassword?: string }): Promise<Role> {
  // With Identity, the conductor reaches Compute as Cinder's volume manager does (volume-extended events).
  const session = deps.authUrl && deps.servicePassword
    ? createServiceSession(createIdentityClient({ authUrl: deps.authUrl }), { userName: 'cinder', password: deps.servicePassword, projectName: 'service' })
    : undefined;
  const compute = session ? { endpoint: () => session.endpoint('compute'), serviceToken: () => session.token() } : undefined;
  return withBusAndDb(deps, async (bus, database) => {
    const db = database.db;
    const sweep = async (olderThanMs: number) => {
      for (const v of await unscheduledVolumes(db, 'creating', new Date(Date.now() - olderThanMs).toISOString())) {
        if (await updateVolume(db, v.id, { status: 'error' }, ['creating'])) deps.log.warn({ volumeId: v.id }, 'volume was never scheduled; marked error');
      }
    };
    await sweep(0);
    const sub = await conductorRpc.serve(bus, deps.options.host, conductorHandlers({ db, bus, notifier: createNotifier(bus, { host: deps.options.host, log: deps.log }), log: deps.log, compute }));
    await heartbeat(db, { binary: 'cinder-conductor', host: deps.options.host, zone: deps.options.storage_availability_zone }).catch(() => undefined);
    const periodic = async () => {
      await sweep(deps.options.rpc_timeout_ms);
      await failWorkOfDeadHosts(db, { downAfterMs: deps.options.service_down_time_s * 1000, log: deps.log });
    };
    const timer = setInterval(() => void periodic().catch((err: Error) => deps.log.warn({ err: err.message }, 'sweep failed')),
      deps.options.report_interval_s * 1000);
    timer.unref();
    return { subs: [sub], stop: () => clearInterval(timer) };
  });
}

export interface VolumeServiceDeps {
  options: BlockStorageOptions;
  /** The data directory: the file driver keeps volumes in <dataDir>/volumes unless volumes_dir says otherwise. */
  dataDir: string;
  log: Logger;
}

export interface VolumeService extends Role {
  /** host@backend: this service's bus server name. */
  host: string;
  driver: VolumeDriver;
}

/**
 * cinder-volume: runs the driver for one backend. It never touches the database: outcomes and heartbeats go to the
 * conductor, capabilities to the scheduler. On start it asks the conductor to repair what a stopped predecessor left.
 */
export async function createVolumeService(deps: VolumeServiceDeps): Promise<VolumeService> {
  const o = deps.options;
  const driver = volumeDrivers[o.volume_driver]({
    volumesDir: o.volumes_dir || join(deps.dataDir, 'volumes'), backupsDir: o.backups_dir || join(deps.dataDir, 'backups'), maxOverSubscriptionRatio: o.max_over_subscription_ratio,
    fakeCapacityGb: o.fake_capacity_gb, log: deps.log,
  });
  await driver.start();
  if (o.backup_object_size % o.backup_sha_block_size !== 0) throw new Error(`backup_object_size ${o.backup_object_size} must be a multiple of backup_sha_block_size ${o.backup_sha_block_size}`);
  const backups = createBackupService({
    driver, backupsDir: o.backups_dir || join(deps.dataDir, 'backups'),
    chunks: { objectSize: o.backup_object_size, blockSize: o.backup_sha_block_size, compression: o.backup_compression_algorithm as 'zlib' | 'none' },
  });
  const host = `${o.host}@${o.backend_name}`;
  const bus = await createBus(o.bus_url, deps.log);
  try {
    const conductor = conductorRpc.client(bus);
    const reporter = startReporter({
      driver, scheduler: schedulerRpc.client(bus), conductor, host, backendName: o.backend_name, zone: o.storage_availability_zone,
      intervalMs: o.report_interval_s * 1000, log: deps.log,
    });
    const sub = await volumeRpc.serve(bus, host, volumeManagerHandlers({ driver, backups, conductor, capacityChanged: (ctx) => void reporter.report(ctx), log: deps.log }));
    await reporter.report();
    try {
      await conductor.call('initHost', { host }, systemContext(), { timeoutMs: o.rpc_timeout_ms });
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'cannot ask the conductor to repair this host\'s volumes; they are repaired on the next start');
    }
    return {
      host, driver,
      async close() {
        reporter.stop();
        await sub.close();
        await bus.close();
      },
    };
  } catch (err) {
    await bus.close();
    throw err;
  }
}

/** Every block-storage role in this process, in dependency order; close() stops them in reverse. */
export async function startBlockStorage(deps: BlockStorageApiDeps & { dataDir: string }): Promise<{ api: BlockStorageApi; volume: VolumeService; close(): Promise<void> }> {
  const started: Role[] = [];
  const closeAll = async () => { for (const r of started.reverse()) await r.close().catch((err: Error) => deps.log.warn({ err: err.message }, 'role failed to stop')); };
  try {
    started.push(await createBlockStorageConductor(deps));
    started.push(await createBlockStorageScheduler(deps));
    const volume = await createVolumeService(deps);
    started.push(volume);
    const api = await createBlockStorageApi(deps);
    started.push(api);
    return { api, volume, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
