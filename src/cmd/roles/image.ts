// Starts the Image service (Glance v2) with the `glance` service user; its data lives in <data>/images.
import { resolveOptions } from '#lib/config/options.ts';
import { createImageApi, imageOptions } from '#services/image/roles.ts';
import type { RoleSpec } from './role-spec.ts';

export const imageRole: RoleSpec = {
  catalog: ({ cloud, config }) => {
    const { port } = resolveOptions('image', imageOptions, config.image);
    return [{ type: 'image', name: 'glance', url: `http://${cloud.public_host}:${port}` }];
  },
  async start(ctx) {
    const options = resolveOptions('image', imageOptions, ctx.config.image);
    const image = await createImageApi({
      options, databaseUrl: ctx.databaseUrl('image'), dataDir: ctx.data.root, authUrl: ctx.authUrl,
      servicePassword: ctx.servicePassword('glance'), log: ctx.log,
    });
    try {
      await image.listen(ctx.cloud.bind_host, options.port);
    } catch (err) {
      await image.close();
      throw err;
    }
    return { urls: { image: `http://${ctx.cloud.public_host}:${options.port}` }, stop: () => image.close() };
  },
};
