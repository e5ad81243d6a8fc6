// Starts Object Storage (Swift v1: the proxy and the storage node in one process) with the `swift` service user; its
// devices and ring live in <data>/objects, account and container state in the `object_storage` database.
import { resolveOptions } from '#lib/config/options.ts';
import { createObjectStorage, objectStorageOptions } from '#services/object-storage/roles.ts';
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
      servicePassword: ctx.servicePassword('swift'), log: ctx.log,
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
