// Starts the chosen roles in this process and stops them on SIGINT/SIGTERM: the all-in-one cloud and `serve` alike.
import { join } from 'node:path';
import type { Logger } from '#lib/log.ts';
import { readConfigFile } from '#lib/config/file.ts';
import { resolveOptions } from '#lib/config/options.ts';
import type { OptionValues } from '#lib/config/options.ts';
import { cloudOptions } from '#lib/config/cloud.ts';
import { databaseUrlFor } from '#lib/db/index.ts';
import { createIdentityService, identityOptions, defaultKeysDir } from '#services/identity/roles.ts';
import type { CatalogServiceSpec } from '#services/identity/roles.ts';
import type { DataDir } from './data-dir.ts';
import { addServiceSecrets } from './data-dir.ts';
import { writeCloudFiles } from './cloud-files.ts';

/** The roles this build implements; `serve --services` accepts these names. */
export const ROLES = ['identity'] as const;
export type RoleName = (typeof ROLES)[number];

/** Service users the bootstrap creates, one per OpenStack service, so later services can authenticate. */
const SERVICE_USERS = ['nova', 'placement', 'glance', 'neutron', 'cinder', 'swift', 'heat', 'ceilometer'];

export interface RunningCloud {
  urls: Record<string, string>;
  stop(): Promise<void>;
}

export async function startRoles(opts: { roles: RoleName[]; data: DataDir; log: Logger; bootstrap: boolean }): Promise<RunningCloud> {
  const file = readConfigFile(opts.data.configFile);
  const cloud: OptionValues<typeof cloudOptions> = resolveOptions('stratus', cloudOptions, file.stratus);
  const dbUrl = (service: string) => databaseUrlFor(cloud.database_url || `sqlite://${join(opts.data.dbDir, '{service}.sqlite')}`, service);
  const stops: (() => Promise<void>)[] = [];
  const urls: Record<string, string> = {};
  try {
    if (opts.roles.includes('identity')) {
      const options = resolveOptions('identity', identityOptions, file.identity);
      const authUrl = `http://${cloud.public_host}:${options.port}/v3`;
      const catalog: CatalogServiceSpec[] = [{ type: 'identity', name: 'keystone', url: authUrl }];
      const identity = await createIdentityService({
        options, databaseUrl: dbUrl('identity'), keysDir: defaultKeysDir(opts.data.root), log: opts.log,
        publicUrl: `http://${cloud.public_host}:${options.port}`,
        bootstrap: opts.bootstrap ? { adminPassword: process.env.STRATUS_ADMIN_PASSWORD, region: cloud.region, serviceUsers: SERVICE_USERS, catalog } : undefined,
      });
      stops.push(() => identity.close());
      await identity.listen(cloud.bind_host, options.port);
      urls.identity = authUrl;
      const result = identity.bootstrapResult;
      if (result) {
        addServiceSecrets(opts.data, result.servicePasswords);
        if (result.adminPassword) {
          const files = writeCloudFiles(opts.data, { authUrl, password: result.adminPassword, region: cloud.region });
          opts.log.info({ clouds: files.cloudsYaml, openrc: files.openrc }, 'wrote admin credentials');
        }
      }
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }
  return {
    urls,
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
