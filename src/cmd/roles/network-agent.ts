// Starts this host's network agent (Neutron's linuxbridge and DHCP agents): it wires what the Networking API binds to
// this host through the configured data plane (`noop` unless network.data_plane_driver says `linuxbridge`), with the
// metadata proxy secret it shares with Compute's metadata API.
import { resolveOptions } from '#lib/config/options.ts';
import { createBus } from '#lib/bus/index.ts';
import { createNetworkAgent, networkOptions } from '#services/network/roles.ts';
import { computeOptions } from '#services/compute/roles.ts';
import type { RoleSpec } from './role-spec.ts';

export const networkAgentRole: RoleSpec = {
  catalog: () => [],
  async start(ctx) {
    const configured = resolveOptions('network', networkOptions, ctx.config.network);
    // By default the guests' metadata requests go to this host's Compute metadata API, wherever its port is.
    const compute = resolveOptions('compute', computeOptions, ctx.config.compute);
    const listen = compute.metadata_listen || ctx.cloud.bind_host;
    const options = { ...configured, nova_metadata_url: configured.nova_metadata_url || `http://${listen === '0.0.0.0' ? '127.0.0.1' : listen}:${compute.metadata_port}` };
    const bus = await createBus(ctx.cloud.bus_url, ctx.log);
    try {
      const agent = await createNetworkAgent({ options, bus, log: ctx.log, dataDir: ctx.data.root, metadataSecret: ctx.sharedSecret('metadata_proxy') });
      return { urls: {}, async stop() { await agent.close(); await bus.close(); } };
    } catch (err) {
      await bus.close();
      throw err;
    }
  },
};
