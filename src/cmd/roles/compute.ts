// Compute's four roles: the API (Nova v2.1) and, behind it on the message bus, the conductor, the scheduler and this
// host's compute agent. They run as the `nova` service user; the API and conductor share the `compute` database.
import { resolveOptions } from '#lib/config/options.ts';
import { createBus } from '#lib/bus/index.ts';
import { computeOptions, createComputeAgents, createComputeApi, createComputeMetadataApi, createConductor, createConsoleProxies, createScheduler } from '#services/compute/roles.ts';
import type { RoleContext, RoleSpec, StartedRole } from './role-spec.ts';

const optionsOf = (ctx: Pick<RoleContext, 'config'>) => resolveOptions('compute', computeOptions, ctx.config.compute);

/** Starts a bus-connected compute role; its bus closes with it. */
async function withBus(ctx: RoleContext, start: (deps: Parameters<typeof createConductor>[0]) => Promise<{ close(): Promise<void> }>): Promise<StartedRole> {
  const bus = await createBus(ctx.cloud.bus_url, ctx.log);
  try {
    const role = await start({
      options: optionsOf(ctx), databaseUrl: ctx.databaseUrl('compute'), authUrl: ctx.authUrl, servicePassword: ctx.servicePassword('nova'), bus, log: ctx.log,
      dataDir: ctx.data.root,
    });
    return { urls: {}, async stop() { await role.close(); await bus.close(); } };
  } catch (err) {
    await bus.close();
    throw err;
  }
}

export const computeRole: RoleSpec = {
  catalog: ({ cloud, config }) => [{ type: 'compute', name: 'nova', url: `http://${cloud.public_host}:${optionsOf({ config }).port}/v2.1` }],
  async start(ctx) {
    const options = optionsOf(ctx);
    const started = await withBus(ctx, async (deps) => {
      const api = await createComputeApi({ ...deps, publicHost: ctx.cloud.public_host });
      try {
        await api.listen(ctx.cloud.bind_host, options.port);
      } catch (err) {
        await api.close();
        throw err;
      }
      return api;
    });
    return { ...started, urls: { compute: `http://${ctx.cloud.public_host}:${options.port}/v2.1` } };
  },
};

export const computeConductorRole: RoleSpec = { catalog: () => [], start: (ctx) => withBus(ctx, createConductor) };
export const computeSchedulerRole: RoleSpec = { catalog: () => [], start: (ctx) => withBus(ctx, createScheduler) };
export const computeAgentRole: RoleSpec = { catalog: () => [], start: (ctx) => withBus(ctx, createComputeAgents) };

/** The metadata API, for Networking's metadata proxy only (no catalog entry, as in Nova). */
export const computeMetadataRole: RoleSpec = {
  catalog: () => [],
  async start(ctx) {
    const options = optionsOf(ctx);
    const api = await createComputeMetadataApi({
      options, databaseUrl: ctx.databaseUrl('compute'), authUrl: ctx.authUrl, servicePassword: ctx.servicePassword('nova'),
      sharedSecret: ctx.sharedSecret('metadata_proxy'), log: ctx.log,
    });
    const host = options.metadata_listen || ctx.cloud.bind_host;
    try {
      await api.listen(host, options.metadata_port);
    } catch (err) {
      await api.close();
      throw err;
    }
    return { urls: { 'compute-metadata': `http://${host}:${options.metadata_port}` }, stop: () => api.close() };
  },
};

/** The console proxies (Nova's novncproxy and serialproxy): they open the consoles of this host's guests by one-time token. */
export const computeNovncProxyRole: RoleSpec = {
  catalog: () => [],
  async start(ctx) {
    const options = optionsOf(ctx);
    const proxies = await createConsoleProxies({ options, databaseUrl: ctx.databaseUrl('compute'), log: ctx.log, bindHost: ctx.cloud.bind_host });
    return {
      urls: { novncproxy: `http://${ctx.cloud.public_host}:${options.novncproxy_port}/vnc_lite.html`, serialproxy: `ws://${ctx.cloud.public_host}:${options.serialproxy_port}/` },
      stop: () => proxies.close(),
    };
  },
};
