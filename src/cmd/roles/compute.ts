// Compute's four roles: the API (Nova v2.1) and, behind it on the message bus, the conductor, the scheduler and this
// host's compute agent. They run as the `nova` service user; the API and conductor share the `compute` database.
import { resolveOptions } from '#lib/config/options.ts';
import { createBus } from '#lib/bus/index.ts';
import { computeOptions, createComputeAgents, createComputeApi, createConductor, createScheduler } from '#services/compute/roles.ts';
import type { RoleContext, RoleSpec, StartedRole } from './role-spec.ts';

const optionsOf = (ctx: Pick<RoleContext, 'config'>) => resolveOptions('compute', computeOptions, ctx.config.compute);

/** Starts a bus-connected compute role; its bus closes with it. */
async function withBus(ctx: RoleContext, start: (deps: Parameters<typeof createConductor>[0]) => Promise<{ close(): Promise<void> }>): Promise<StartedRole> {
  const bus = await createBus(ctx.cloud.bus_url, ctx.log);
  try {
    const role = await start({
      options: optionsOf(ctx), databaseUrl: ctx.databaseUrl('compute'), authUrl: ctx.authUrl, servicePassword: ctx.servicePassword('nova'), bus, log: ctx.log,
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
      const api = await createComputeApi(deps);
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
