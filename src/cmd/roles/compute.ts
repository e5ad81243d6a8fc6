// Starts the Compute API (Nova v2.1) with the `nova` service user; its data lives in the `compute` database.
import { resolveOptions } from '#lib/config/options.ts';
import { computeOptions, createComputeApi } from '#services/compute/roles.ts';
import type { RoleSpec } from './role-spec.ts';

export const computeRole: RoleSpec = {
  catalog: ({ cloud, config }) => {
    const { port } = resolveOptions('compute', computeOptions, config.compute);
    return [{ type: 'compute', name: 'nova', url: `http://${cloud.public_host}:${port}/v2.1` }];
  },
  async start(ctx) {
    const options = resolveOptions('compute', computeOptions, ctx.config.compute);
    const compute = await createComputeApi({
      options, databaseUrl: ctx.databaseUrl('compute'), authUrl: ctx.authUrl, servicePassword: ctx.servicePassword('nova'), log: ctx.log,
    });
    try {
      await compute.listen(ctx.cloud.bind_host, options.port);
    } catch (err) {
      await compute.close();
      throw err;
    }
    return { urls: { compute: `http://${ctx.cloud.public_host}:${options.port}/v2.1` }, stop: () => compute.close() };
  },
};
