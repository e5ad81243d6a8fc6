// Networking's roles. This slice has the server: createNetworkApi builds the Neutron v2.0 API on its database and
// publishes changes on the bus for the per-host agents (the data plane) and notification listeners.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib/log.ts';
import type { Bus } from '#lib/bus/index.ts';
import { createApiService } from '#lib/http/api-service.ts';
import { installServiceAuth } from '#services/identity/contract/service-auth.ts';
import type { NetworkOptions } from './config.ts';
import { networkPolicy } from './policy.ts';
import type { NetworkTables } from './db/tables.ts';
import { networkMigrations } from './db/migrations/index.ts';
import { neutronErrorRenderer } from './api/render-error.ts';
import { registerNetworkRoutes } from './api/routes.ts';
import { createNetworkEvents } from './api/events.ts';
import { serveAgents } from './api/agent-rpc-server.ts';
import { rescheduleFromDeadAgents } from './api/l3-scheduler.ts';
import { parseVniRange } from './domain/segments.ts';
import { startNetworkAgent } from './agent/network-agent.ts';
import { createDataPlaneDriver } from './agent/data-plane.ts';
import { startMetadataAgent } from './agent/metadata-agent.ts';
import type { MetadataAgent } from './agent/metadata-agent.ts';

export { networkOptions } from './config.ts';
export type { NetworkOptions } from './config.ts';

export interface NetworkApiServiceDeps {
  options: NetworkOptions;
  databaseUrl: string;
  /** Identity's v3 root, where callers' tokens are validated. */
  authUrl: string;
  /** The `neutron` service user's password. */
  servicePassword: string;
  log: Logger;
  /** The bus the server fans agent updates and notifications out on (the cloud's bus_url). */
  bus: Bus;
  /** Names this server in notifications; default the host name. */
  host?: string;
}

export interface NetworkApi {
  app: FastifyInstance;
  bus: Bus;
  /** Starts listening; resolves to the URL (port 0 picks a free port). */
  listen(host: string, port?: number): Promise<string>;
  /** Waits for bus publications in flight. */
  flushEvents(): Promise<void>;
  /** Stops the revocation watch, the server and the database (not the bus, which the caller owns). Call once. */
  close(): Promise<void>;
}

export async function createNetworkApi(deps: NetworkApiServiceDeps): Promise<NetworkApi> {
  const { options } = deps;
  parseVniRange(options.vni_ranges);
  const { bus } = deps;
  const host = deps.host ?? hostname();
  const events = createNetworkEvents(bus, { host, log: deps.log });
  deps.log.info({ driver: options.data_plane_driver }, options.data_plane_driver === 'noop'
    ? 'networking data plane driver: noop (ports are bound and reported ACTIVE without wiring anything on hosts)'
    : `networking data plane driver: ${options.data_plane_driver} (bound ports turn ACTIVE when their host's network-agent has wired them)`);
  const service = await createApiService<NetworkTables>({
    name: 'network', log: deps.log, databaseUrl: deps.databaseUrl, migrations: networkMigrations, port: options.port,
    policy: { rules: networkPolicy, file: options.policy_file },
    http: { renderError: neutronErrorRenderer(() => deps.authUrl) },
    authenticate: (app) => installServiceAuth(app, { authUrl: deps.authUrl, serviceUser: 'neutron', servicePassword: deps.servicePassword, log: deps.log }),
    async build({ app, database, policy }) {
      const apiDeps = { db: database.db, policy, options, events, log: deps.log };
      registerNetworkRoutes(app, apiDeps);
      const agents = await serveAgents(bus, host, apiDeps);
      // Off by default, as in Neutron: routers of a dead L3 agent stay there until an admin moves them.
      const failover = options.allow_automatic_l3agent_failover ? setInterval(() => {
        rescheduleFromDeadAgents(apiDeps).catch((err: unknown) => deps.log.warn({ err: (err as Error).message }, 'cannot move routers off dead L3 agents'));
      }, options.agent_down_time * 500) : undefined;
      failover?.unref();
      return async () => {
        clearInterval(failover);
        await agents.close();
        await events.flush();
      };
    },
  });
  return { app: service.app, bus, listen: service.listen, flushEvents: () => events.flush(), close: () => service.close() };
}

export interface NetworkAgentRoleDeps {
  options: NetworkOptions;
  bus: Bus;
  log: Logger;
  /** The data directory; the linuxbridge driver keeps DHCP files under <dataDir>/network unless state_path says. */
  dataDir: string;
  /** The secret shared with Compute's metadata API (`metadata_proxy`); without it no metadata proxy runs. */
  metadataSecret?: string;
}

/**
 * The network-agent role of this host: the configured data plane, wired as the server says, with DHCP (if enabled,
 * with a real data plane), the routers scheduled to its L3 agent (if enabled) and the metadata agent their
 * namespaces' proxies forward to; with noop and fake_hosts N, N such agents.
 */
export async function createNetworkAgent(deps: NetworkAgentRoleDeps): Promise<{ host: string; driver: string; close(): Promise<void> }> {
  const { options, log } = deps;
  const base = options.host || hostname();
  const host = options.data_plane_driver === 'noop' && options.fake_hosts > 1 ? `${base}-1` : base;
  const stateDir = options.state_path || join(deps.dataDir, 'network');
  // DHCP with the noop plane would only add ports that serve nothing: it comes with a real data plane. Routers are
  // scheduled to L3 agents whatever the plane (noop keeps them in memory), so scheduling works on noop clouds too.
  const wiring = options.data_plane_driver !== 'noop';
  const dhcp = options.dhcp_agent && wiring;
  const l3 = options.l3_agent;
  const metadata = options.metadata_proxy && wiring && (l3 || (dhcp && options.enable_isolated_metadata));
  if (metadata && !deps.metadataSecret) log.warn('network-agent: no metadata_proxy secret was given, so guests get no metadata proxy');
  const metadataSocket = metadata && deps.metadataSecret ? join(stateDir, 'metadata_proxy') : undefined;
  const driver = createDataPlaneDriver(options, { stateDir, routers: l3 && wiring, metadataSocket }, log);
  log.warn({ driver: driver.name, host }, driver.name === 'noop'
    ? 'network-agent data plane: noop — nothing is wired on this host (set network.data_plane_driver: linuxbridge, as root, for bridges, VXLAN, taps, DHCP and routers)'
    : `network-agent data plane: ${driver.name} — wiring bridges, VXLAN, taps${dhcp ? ', DHCP' : ''}${l3 ? ', routers' : ''}${metadataSocket ? ' and metadata proxies' : ''} on this host`);
  let metadataAgent: MetadataAgent | undefined;
  if (metadataSocket) {
    metadataAgent = await startMetadataAgent({ bus: deps.bus, host, socketPath: metadataSocket, novaMetadataUrl: options.nova_metadata_url, sharedSecret: deps.metadataSecret!, log });
  }
  try {
    const reportIntervalMs = options.report_interval * 1000;
    const agent = await startNetworkAgent({ bus: deps.bus, host, driver, dhcp, l3, log, reportIntervalMs });
    // fake_hosts with noop: more simulated hosts, each an agent of its own (compute.fake_hosts names its hosts alike).
    const fakes: { driver: { close(): Promise<void> }; agent: { stop(): Promise<void> } }[] = [];
    for (const fake of fakeHosts(options, host)) {
      const fakeDriver = createDataPlaneDriver(options, { stateDir, routers: false }, log);
      fakes.push({ driver: fakeDriver, agent: await startNetworkAgent({ bus: deps.bus, host: fake, driver: fakeDriver, dhcp: false, l3, log, reportIntervalMs }) });
    }
    return {
      host, driver: driver.name,
      async close() {
        for (const f of fakes) { await f.agent.stop(); await f.driver.close(); }
        await agent.stop(); await metadataAgent?.close(); await driver.close();
      },
    };
  } catch (err) {
    await metadataAgent?.close();
    throw err;
  }
}

/** The extra hosts fake_hosts simulates: <host>-2 … <host>-N beside <host>-1 (the role's own agent). */
function fakeHosts(options: NetworkOptions, host: string): string[] {
  if (options.data_plane_driver !== 'noop' || options.fake_hosts < 2) return [];
  return Array.from({ length: options.fake_hosts - 1 }, (_, i) => `${host}-${i + 2}`);
}
