// Starts Block Storage (Cinder v3: api, scheduler, conductor and the volume service) with the `cinder` service user;
// its data lives in the `block_storage` database and <data>/volumes.
import { resolveOptions } from '#lib/config/options.ts';
import { blockStorageOptions, startBlockStorage } from '#services/block-storage/roles.ts';
import type { RoleSpec } from './role-spec.ts';

// Clients look the service up as block-storage (openstacksdk) or volumev3 (cinderclient, hence python-openstackclient).
// The URL carries the project id as Cinder's does; Identity fills it in for each token (the API also serves /v3/…).
const url = (host: string, port: number) => `http://${host}:${port}/v3/%(project_id)s`;

export const blockStorageRole: RoleSpec = {
  catalog: ({ cloud, config }) => {
    const { port } = resolveOptions('block_storage', blockStorageOptions, config.block_storage);
    return [
      { type: 'block-storage', name: 'cinder', url: url(cloud.public_host, port) },
      { type: 'volumev3', name: 'cinderv3', url: url(cloud.public_host, port) },
    ];
  },
  async start(ctx) {
    const resolved = resolveOptions('block_storage', blockStorageOptions, ctx.config.block_storage);
    const options = { ...resolved, bus_url: resolved.bus_url || ctx.cloud.bus_url };
    const bs = await startBlockStorage({
      options, databaseUrl: ctx.databaseUrl('block_storage'), dataDir: ctx.data.root, authUrl: ctx.authUrl,
      servicePassword: ctx.servicePassword('cinder'), log: ctx.log,
    });
    try {
      await bs.api.listen(ctx.cloud.bind_host, options.port);
    } catch (err) {
      await bs.close();
      throw err;
    }
    return { urls: { 'block-storage': `http://${ctx.cloud.public_host}:${options.port}/v3` }, stop: () => bs.close() };
  },
};
