// Starts Object Storage (Swift v1: the proxy and the storage node in one process) with the `swift` service user; its
// devices and ring live in <data>/objects, account and container state in the `object_storage` database.
import { resolveOptions } from '#lib/config/options.ts';
import { createObjectStorage, createObjectStorageNode, objectStorageOptions } from '#services/object-storage/roles.ts';
import type { RoleSpec } from './role-spec.ts';

export const objectStorageRole: RoleSpec = {
  catalog: ({ cloud, config }) => {
    const { port } = resolveOptions('object_storage', objectStorageOptions, config.object_storage);
    return [{ type: 'object-store', name: 'swift', url: `http://${cloud.public_host}:${port}/v1/AUTH_%(project_id)s` }];
  },
  async start(ctx) {
    const options = resolveOptions('object_storage', objectStorageOptions, ctx.config.object_storage);
    const service = await createObjectStorage({
      options, databaseUrl: ctx.databaseUrl('object_storage'), dataDir: ctx.data.root, authUrl: ctx.authUrl,
      servicePassword: ctx.servicePassword('swift'), log: ctx.log, nodeSecret: () => ctx.sharedSecret('object_storage_node'),
    });
    try {
      await service.listen(ctx.cloud.bind_host, options.port);
    } catch (err) {
      await service.close();
      throw err;
    }
    return { urls: { 'object-store': `http://${ctx.cloud.public_host}:${options.port}/v1` }, stop: () => service.close() };
  },
};

/**
 * A storage node on its own host (scale-out): object server, replicator and auditor for the ring devices at
 * `storage_node_host:storage_node_port`, reached by proxies and other nodes with the shared `object_storage_node` secret.
 */
export const objectStorageNodeRole: RoleSpec = {
  catalog: () => [],
  async start(ctx) {
    const options = resolveOptions('object_storage', objectStorageOptions, ctx.config.object_storage);
    const address = { host: options.storage_node_host || ctx.cloud.public_host, port: options.storage_node_port };
    const node = await createObjectStorageNode({
      options, dataDir: ctx.data.root, log: ctx.log, bindHost: ctx.cloud.bind_host, nodeSecret: ctx.sharedSecret('object_storage_node'),
      address,
    });
    if (!node) {
      ctx.log.info({ address }, 'no object ring device is at this storage node address (devices name:zone:weight@host:port); object-storage-node idle');
      return { urls: {}, stop: async () => undefined };
    }
    ctx.log.info({ address, devices: node.devices }, 'object storage node serving');
    return { urls: {}, stop: () => node.close() };
  },
};
