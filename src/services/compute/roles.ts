// Compute's roles, Nova's four processes: compute-api (the REST API), the conductor (the database's door for agents
// and the build workflow), the scheduler (select_destinations over Placement) and the compute agent of one host.
// Each takes its dependencies explicitly; in one process they share the in-process bus, across hosts RabbitMQ.
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Bus } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import { openDatabase, runMigrations } from '#lib/db/index.ts';
import { createApiService } from '#lib/http/api-service.ts';
import { installServiceAuth } from '#services/identity/contract/service-auth.ts';
import type { ServiceAuth } from '#services/identity/contract/service-auth.ts';
import { createIdentityClient, createServiceSession } from '#services/identity/contract/client.ts';
import type { ServiceSession } from '#services/identity/contract/client.ts';
import { createPlacementClient } from '#services/placement/contract/client.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import { createImageClient } from '#services/image/contract/client.ts';
import type { ImageClient } from '#services/image/contract/client.ts';
import { createNetworkClient } from '#services/network/contract/client.ts';
import type { NetworkClient } from '#services/network/contract/client.ts';
import { createBlockStorageClient } from '#services/block-storage/contract/client.ts';
import type { BlockStorageClient } from '#services/block-storage/contract/client.ts';
import type { ComputeOptions } from './config.ts';
import { computePolicy } from './policy.ts';
import type { ComputeTables } from './db/tables.ts';
import { computeMigrations } from './db/migrations/index.ts';
import { novaErrorRenderer } from './api/render-error.ts';
import { installMicroversions } from './api/microversion.ts';
import { registerComputeRoutes } from './api/routes.ts';
import { conductorRpc } from './rpc/conductor-rpc.ts';
import { agentRpc } from './rpc/agent-rpc.ts';
import { createComputeNotifier } from './rpc/compute-notifier.ts';
import type { ComputeNotifier, NotificationFormat } from './rpc/compute-notifier.ts';
import { schedulerRpc } from './rpc/scheduler-rpc.ts';
import { startConductor } from './conductor/conductor.ts';
import { startScheduler } from './scheduler/scheduler.ts';
import { computeFilter } from './scheduler/filters/compute-filter.ts';
import { retryFilter } from './scheduler/filters/retry-filter.ts';
import { availabilityZoneFilter } from './scheduler/filters/availability-zone-filter.ts';
import { ramWeigher } from './scheduler/weighers/ram-weigher.ts';
import { cpuWeigher } from './scheduler/weighers/cpu-weigher.ts';
import { serverGroupSoftWeigher } from './scheduler/weighers/server-group-soft-weigher.ts';
import { serverGroupAffinityFilter, serverGroupAntiAffinityFilter } from './scheduler/filters/server-group-filters.ts';
import { startComputeAgent } from './agent/compute-agent.ts';
import type { HypervisorDriver } from './agent/drivers/hypervisor-driver.ts';
import { DRIVERS } from './agent/driver-registry.ts';
import { createHttpService } from '#lib/http/server.ts';
import { metadataErrorRenderer, registerMetadataRoutes } from './metadata/metadata-api.ts';
import { createInstanceSource } from './metadata/instance-source.ts';
import { createConsoleProxy } from './console/console-proxy.ts';

export { computeOptions } from './config.ts';
export type { ComputeOptions } from './config.ts';
export type { HypervisorDriver } from './agent/drivers/hypervisor-driver.ts';
export { createFakeDriver } from './agent/drivers/fake/fake-driver.ts';

export interface ComputeRoleDeps {
  options: ComputeOptions;
  /** Identity's v3 root: where tokens are validated and the catalog comes from. */
  authUrl: string;
  /** The `nova` service user's password. */
  servicePassword: string;
  bus: Bus;
  log: Logger;
  /** The data directory (compute agents with the qemu driver keep guests under it); default ./data. */
  dataDir?: string;
}

export interface ComputeApi {
  app: FastifyInstance;
  listen(host: string, port?: number): Promise<string>;
  close(): Promise<void>;
}

export interface RunningRole {
  close(): Promise<void>;
}

/** Finds another service in the catalog once it is there (the roles of a cloud may start in any order). */
function lazyEndpoint<T>(session: Pick<ServiceSession, 'endpoint'>, type: string, make: (url: string) => T): () => Promise<T | undefined> {
  let client: T | undefined;
  return async () => {
    if (client) return client;
    const url = await session.endpoint(type);
    if (url) client = make(url);
    return client;
  };
}

function novaSession(deps: Pick<ComputeRoleDeps, 'authUrl' | 'servicePassword'>): ServiceSession {
  return createServiceSession(createIdentityClient({ authUrl: deps.authUrl }), { userName: 'nova', password: deps.servicePassword, projectName: 'service' });
}

/**
 * Block Storage from the catalog. The service session's catalog names the service project in the URL; the user's
 * calls go to the project-less /v3 root, where Block Storage takes the project from the user's token.
 */
function volumesFrom(session: Pick<ServiceSession, 'endpoint'>): () => Promise<BlockStorageClient | undefined> {
  return lazyEndpoint(session, 'volumev3', (url) => createBlockStorageClient({ endpoint: url.replace(/(\/v3)\/.*$/, '$1') }));
}

/** A Placement client that finds Placement in the catalog on first use. */
function placementFrom(session: ServiceSession): PlacementClient {
  return createPlacementClient({ endpoint: () => session.endpoint('placement'), token: () => session.token() });
}

/** Where users reach the console proxies: the configured base URLs, else the proxies' ports on the cloud's public host. */
function consoleUrls(options: ComputeOptions, publicHost: string) {
  return {
    novncBaseUrl: options.novncproxy_base_url || `http://${publicHost}:${options.novncproxy_port}/vnc_lite.html`,
    serialBaseUrl: options.serialproxy_base_url || `ws://${publicHost}:${options.serialproxy_port}/`,
    tokenTtlMs: options.console_token_ttl * 1000,
  };
}

/** compute-api: opens (and migrates) the compute database and serves Nova v2.1; console URLs name `publicHost` (default 127.0.0.1). */
export async function createComputeApi(deps: ComputeRoleDeps & { databaseUrl: string; publicHost?: string }): Promise<ComputeApi> {
  const { options } = deps;
  let auth: ServiceAuth | undefined;
  return createApiService<ComputeTables>({
    name: 'compute', log: deps.log, databaseUrl: deps.databaseUrl, migrations: computeMigrations, port: options.port,
    policy: { rules: computePolicy, file: options.policy_file },
    http: { renderError: novaErrorRenderer(() => deps.authUrl), requestIdHeaders: ['x-compute-request-id'] },
    authenticate: (app) => (auth = installServiceAuth(app, { authUrl: deps.authUrl, serviceUser: 'nova', servicePassword: deps.servicePassword, log: deps.log })),
    build({ app, database, policy }) {
      const session = auth!;
      // After authentication, as in Nova's pipeline: a request without a valid token is 401 whatever its version.
      installMicroversions(app);
      registerComputeRoutes(app, {
        db: database.db, policy, maxLimit: options.max_limit, serviceDownTimeMs: options.service_down_time * 1000, log: deps.log,
        conductor: conductorRpc.client(deps.bus), agents: agentRpc.client(deps.bus),
        image: lazyEndpoint<ImageClient>(session, 'image', (endpoint) => createImageClient({ endpoint })),
        network: lazyEndpoint<NetworkClient>(session, 'network', (endpoint) => createNetworkClient({ endpoint, token: () => session.serviceToken(), serviceToken: () => session.serviceToken() })),
        volumes: volumesFrom({ endpoint: (type) => session.endpoint(type) }),
        serviceToken: () => session.serviceToken(),
        placement: createPlacementClient({ endpoint: () => session.endpoint('placement'), token: () => session.serviceToken() }),
        allowResizeToSameHost: options.allow_resize_to_same_host,
        consoles: consoleUrls(options, deps.publicHost ?? '127.0.0.1'),
        notifier: notifierFor(deps, 'nova-api', options.host || hostname()),
      });
    },
  });
}

async function openComputeDb(deps: Pick<ComputeRoleDeps, 'log'> & { databaseUrl: string }) {
  const database = await openDatabase<ComputeTables>({ url: deps.databaseUrl, log: deps.log });
  try {
    await runMigrations(database, computeMigrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/** The conductor: serves compute-conductor as `serverName` (normally the host's name). */
export async function createConductor(deps: ComputeRoleDeps & { databaseUrl: string; serverName?: string }): Promise<RunningRole> {
  const database = await openComputeDb(deps);
  try {
    const running = await startConductor({
      db: database.db, dialect: database.dialect, scheduler: schedulerRpc.client(deps.bus), agents: agentRpc.client(deps.bus),
      placement: placementFrom(novaSession(deps)), maxAttempts: deps.options.max_attempts, log: deps.log.child({ role: 'compute-conductor' }),
      notifier: notifierFor(deps, 'nova-conductor', deps.serverName ?? (deps.options.host || hostname())),
    }, deps.bus, deps.serverName ?? (deps.options.host || hostname()), { staleMs: deps.options.service_down_time * 1000, heartbeatMs: deps.options.report_interval * 1000 });
    return { async close() { await running.stop(); await database.close(); } };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** The scheduler: serves compute-scheduler with Nova's availability zone, compute, retry and server group filters and its RAM, CPU and soft-affinity weighers. */
export async function createScheduler(deps: ComputeRoleDeps & { databaseUrl: string; serverName?: string }): Promise<RunningRole> {
  const database = await openComputeDb(deps);
  try {
    const running = await startScheduler({
      db: database.db, placement: placementFrom(novaSession(deps)), filters: [availabilityZoneFilter, computeFilter, retryFilter, serverGroupAntiAffinityFilter, serverGroupAffinityFilter],
      weighers: [ramWeigher(1), cpuWeigher(1), serverGroupSoftWeigher(1)], serviceDownTimeMs: deps.options.service_down_time * 1000,
      maxCandidates: deps.options.max_placement_results, log: deps.log.child({ role: 'compute-scheduler' }),
    }, deps.bus, deps.serverName ?? (deps.options.host || hostname()), { heartbeatMs: deps.options.report_interval * 1000 });
    return { async close() { await running.stop(); await database.close(); } };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/**
 * compute-novncproxy: the noVNC page and VNC websockets on novncproxy_port, serial console websockets on
 * serialproxy_port. It opens consoles by the tokens compute-api records, so it shares the compute database; the
 * consoles' unix sockets are on this host, so it runs beside the compute agents whose guests it serves.
 */
export async function createConsoleProxies(deps: { options: ComputeOptions; databaseUrl: string; log: Logger; bindHost: string; now?: () => Date }): Promise<RunningRole & { urls: { novnc: string; serial: string } }> {
  const database = await openComputeDb(deps);
  const proxies = (['novnc', 'serial'] as const).map((type) => createConsoleProxy({
    db: database.db, log: deps.log, type, allowedOrigins: deps.options.console_allowed_origins, now: deps.now,
  }));
  const close = async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await database.close();
  };
  try {
    const novnc = await proxies[0].listen(deps.bindHost, deps.options.novncproxy_port);
    const serial = await proxies[1].listen(deps.bindHost, deps.options.serialproxy_port);
    return { urls: { novnc, serial }, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Nova's notifications as configured (notification_format and the topics), published by `binary` on `host`. */
function notifierFor(deps: ComputeRoleDeps, binary: 'nova-compute' | 'nova-conductor' | 'nova-api', host: string): ComputeNotifier {
  return createComputeNotifier(deps.bus, {
    format: deps.options.notification_format as NotificationFormat, versionedTopics: deps.options.versioned_notifications_topics,
    legacyTopics: deps.options.notification_topics, publisher: { binary, host }, log: deps.log.child({ role: binary }),
  });
}

/** A compute agent for `host` (default: options.host or the machine's name) with the configured (or given) driver. */
export async function createComputeAgent(deps: ComputeRoleDeps & { host?: string; driver?: HypervisorDriver }): Promise<RunningRole & { host: string; nodeUuid: string }> {
  const { options } = deps;
  const host = deps.host ?? (options.host || hostname());
  const make = DRIVERS[options.driver];
  if (!deps.driver && !make) throw new Error(`Unknown compute driver '${options.driver}' (known: ${Object.keys(DRIVERS).join(', ')})`);
  const driver = deps.driver ?? make({
    host, fakeVcpus: options.fake_vcpus, fakeMemoryMb: options.fake_memory_mb, fakeLocalGb: options.fake_local_gb, dataDir: deps.dataDir ?? './data',
    qemuBinary: options.qemu_binary, instancesPath: options.instances_path, qemuAccel: options.qemu_accel,
    imageCacheUnusedSeconds: options.image_cache_unused_seconds, softShutdownTimeout: options.soft_shutdown_timeout, log: deps.log,
  });
  const session = novaSession(deps);
  const agent = await startComputeAgent({
    host, driver, conductor: conductorRpc.client(deps.bus), agents: agentRpc.client(deps.bus), placement: placementFrom(session),
    image: lazyEndpoint<ImageClient>(session, 'image', (endpoint) => createImageClient({ endpoint })),
    network: lazyEndpoint<NetworkClient>(session, 'network', (endpoint) => createNetworkClient({ endpoint, token: () => session.token(), serviceToken: () => session.token() })),
    volumes: volumesFrom(session),
    configDrive: { force: options.force_config_drive, dhcpDomain: options.dhcp_domain },
    serviceToken: () => session.token(), log: deps.log.child({ role: 'compute-agent', host }), notifier: notifierFor(deps, 'nova-compute', host),
  }, deps.bus, {
    ratios: { cpu: options.cpu_allocation_ratio, ram: options.ram_allocation_ratio, disk: options.disk_allocation_ratio, reservedHostMemoryMb: options.reserved_host_memory_mb },
    reportIntervalMs: options.report_interval * 1000,
    shelve: { offloadTimeS: options.shelved_offload_time, pollIntervalMs: options.shelved_poll_interval * 1000 },
    rescueTimeoutS: options.rescue_timeout,
  });
  return { host, nodeUuid: agent.nodeUuid, close: () => agent.stop() };
}

/**
 * The compute-agent role of this process: one agent, or with the fake driver and fake_hosts N > 1, N agents named
 * <host>-1 … <host>-N, each its own host to the scheduler (Nova's fake driver scale testing, in one process).
 */
export async function createComputeAgents(deps: ComputeRoleDeps): Promise<RunningRole> {
  const { options } = deps;
  const base = options.host || hostname();
  const hosts = options.driver === 'fake' && options.fake_hosts > 1 ? Array.from({ length: options.fake_hosts }, (_, i) => `${base}-${i + 1}`) : [base];
  const agents: RunningRole[] = [];
  try {
    for (const host of hosts) agents.push(await createComputeAgent({ ...deps, host }));
  } catch (err) {
    await Promise.allSettled(agents.map((a) => a.close()));
    throw err;
  }
  return { close: async () => { await Promise.all(agents.map((a) => a.close())); } };
}

/**
 * The metadata API (Nova's api-metadata): opens the compute database, reads ports from Networking as `nova`, and
 * answers only requests Networking's metadata proxy signed with `sharedSecret`.
 */
export async function createComputeMetadataApi(deps: Omit<ComputeRoleDeps, 'bus'> & { databaseUrl: string; sharedSecret: string }): Promise<ComputeApi> {
  const { options } = deps;
  const database = await openComputeDb(deps);
  try {
    const session = novaSession(deps);
    const log = deps.log.child({ role: 'compute-metadata' });
    const app = createHttpService({ name: 'compute-metadata', log, renderError: metadataErrorRenderer, bodyLimit: 64 * 1024 });
    registerMetadataRoutes(app, {
      db: database.db, sharedSecret: deps.sharedSecret, dhcpDomain: options.dhcp_domain,
      source: createInstanceSource({
        db: database.db, log, cacheTtlMs: options.metadata_cache_expiration * 1000,
        network: lazyEndpoint<NetworkClient>(session, 'network', (endpoint) => createNetworkClient({ endpoint, token: () => session.token() })),
      }),
    });
    return {
      app,
      listen: (host, port = options.metadata_port) => app.listen({ host, port }),
      async close() { await app.close(); await database.close(); },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
