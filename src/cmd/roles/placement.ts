// Starts Placement (the resource inventory and claims service Compute schedules with) as the `placement` service user.
import { resolveOptions } from '#lib/config/options.ts';
import { createPlacementApi, placementOptions } from '#services/placement/roles.ts';
import type { RoleSpec } from './role-spec.ts';

export const placementRole: RoleSpec = {
  catalog: ({ cloud, config }) => {
    const { port } = resolveOptions('placement', placementOptions, config.placement);
    return [{ type: 'placement', name: 'placement', url: `http://${cloud.public_host}:${port}` }];
  },
  async start(ctx) {
    const options = resolveOptions('placement', placementOptions, ctx.config.placement);
    const placement = await createPlacementApi({
      options, databaseUrl: ctx.databaseUrl('placement'), authUrl: ctx.authUrl,
      servicePassword: options.service_password || ctx.servicePassword('placement'), log: ctx.log,
    });
    try {
      await placement.listen(ctx.cloud.bind_host, options.port);
    } catch (err) {
      await placement.close();
      throw err;
    }
    return { urls: { placement: `http://${ctx.cloud.public_host}:${options.port}` }, stop: () => placement.close() };
  },
};
