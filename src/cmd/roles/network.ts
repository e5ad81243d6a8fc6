// Starts the Networking API (Neutron v2.0) with the `neutron` service user; its data lives in the `network` database
// and it fans port and router changes out to agents on the cloud's bus.
import { resolveOptions } from '#lib/config/options.ts';
import { createBus } from '#lib/bus/index.ts';
import { createNetworkApi, networkOptions } from '#services/network/roles.ts';
import type { RoleSpec } from './role-spec.ts';

export const networkRole: RoleSpec = {
  catalog: ({ cloud, config }) => {
    const { port } = resolveOptions('network', networkOptions, config.network);
    return [{ type: 'network', name: 'neutron', url: `http://${cloud.public_host}:${port}/` }];
  },
  async start(ctx) {
    const options = resolveOptions('network', networkOptions, ctx.config.network);
    const bus = await createBus(ctx.cloud.bus_url, ctx.log);
    try {
      const network = await createNetworkApi({
        options, databaseUrl: ctx.databaseUrl('network'), authUrl: ctx.authUrl, servicePassword: ctx.servicePassword('neutron'), bus, log: ctx.log,
      });
      try {
        await network.listen(ctx.cloud.bind_host, options.port);
      } catch (err) {
        await network.close();
        throw err;
      }
      return { urls: { network: `http://${ctx.cloud.public_host}:${options.port}/` }, async stop() { await network.close(); await bus.close(); } };
    } catch (err) {
      await bus.close();
      throw err;
    }
  },
};
