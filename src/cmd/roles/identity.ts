// Starts Identity; with bootstrap on, it also writes clouds.yaml, openrc and the service users' passwords.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveOptions } from '#lib/config/options.ts';
import { createIdentityService, identityOptions, defaultKeysDir } from '#services/identity/roles.ts';
import { addServiceSecrets, readServiceSecrets } from '../data-dir.ts';
import { writeCloudFiles } from '../cloud-files.ts';
import type { RoleSpec } from './role-spec.ts';

/** Service users the bootstrap creates, one per OpenStack service, so every service can authenticate. */
const SERVICE_USERS = ['nova', 'placement', 'glance', 'neutron', 'cinder', 'swift', 'heat', 'ceilometer'];

export const identityRole: RoleSpec = {
  catalog: ({ cloud, config }) => {
    const { port } = resolveOptions('identity', identityOptions, config.identity);
    return [{ type: 'identity', name: 'keystone', url: `http://${cloud.public_host}:${port}/v3` }];
  },
  async start(ctx) {
    const options = resolveOptions('identity', identityOptions, ctx.config.identity);
    const identity = await createIdentityService({
      options, databaseUrl: ctx.databaseUrl('identity'), keysDir: defaultKeysDir(ctx.data.root), log: ctx.log,
      publicUrl: `http://${ctx.cloud.public_host}:${options.port}`,
      bootstrap: ctx.bootstrap ? {
        // Without clouds.yaml nobody knows the admin password (a first start cut short): a new one is set and written.
        adminPassword: process.env.STRATUS_ADMIN_PASSWORD ?? (existsSync(join(ctx.data.root, 'clouds.yaml')) ? undefined : randomBytes(18).toString('base64url')),
        region: ctx.cloud.region, serviceUsers: SERVICE_USERS, catalog: ctx.catalog,
        knownServicePasswords: Object.keys(readServiceSecrets(ctx.data)),
      } : undefined,
    });
    // The secrets are stored as soon as the bootstrap made them, before anything else can fail (a busy port, say).
    const result = identity.bootstrapResult;
    if (result) {
      addServiceSecrets(ctx.data, result.servicePasswords);
      if (result.adminPassword) {
        const files = writeCloudFiles(ctx.data, { authUrl: ctx.authUrl, password: result.adminPassword, region: ctx.cloud.region });
        ctx.log.info({ clouds: files.cloudsYaml, openrc: files.openrc }, 'wrote admin credentials');
      }
    }
    try {
      await identity.listen(ctx.cloud.bind_host, options.port);
    } catch (err) {
      await identity.close();
      throw err;
    }
    return { urls: { identity: ctx.authUrl }, stop: () => identity.close() };
  },
};
