// Starts the chosen roles in this process and stops them in reverse order: the all-in-one cloud and `serve` alike.
import { join } from 'node:path';
import type { Logger } from '#lib/log.ts';
import { readConfigFile } from '#lib/config/file.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { cloudOptions } from '#lib/config/cloud.ts';
import { databaseUrlFor } from '#lib/db/index.ts';
import type { DataDir } from './data-dir.ts';
import { readServiceSecrets, sharedSecret } from './data-dir.ts';
import { ROLE_SPECS, ROLES } from './roles/index.ts';
import type { RoleName } from './roles/index.ts';
import type { RoleContext } from './roles/role-spec.ts';

export { ROLES };
export type { RoleName };

export interface RunningCloud {
  urls: Record<string, string>;
  /** Identity's v3 URL the roles use. */
  authUrl: string;
  stop(): Promise<void>;
}

export async function startRoles(opts: { roles: RoleName[]; data: DataDir; log: Logger; bootstrap: boolean }): Promise<RunningCloud> {
  const config = readConfigFile(opts.data.configFile);
  const cloud = resolveOptions('stratus', cloudOptions, config.stratus);
  const ordered = ROLES.filter((r) => opts.roles.includes(r));
  const identityUrl = ROLE_SPECS.identity.catalog({ cloud, config })[0].url;
  const ctx: RoleContext = {
    cloud, config, data: opts.data, log: opts.log, bootstrap: opts.bootstrap,
    databaseUrl: (service) => databaseUrlFor(cloud.database_url || `sqlite://${join(opts.data.dbDir, '{service}.sqlite')}`, service),
    authUrl: cloud.auth_url || identityUrl,
    catalog: ordered.flatMap((r) => ROLE_SPECS[r].catalog({ cloud, config })),
    servicePassword: (user) => {
      const fromConfig = config[user]?.service_password;
      const password = typeof fromConfig === 'string' ? fromConfig : readServiceSecrets(opts.data)[user];
      if (!password) throw new Error(`no password for service user ${user}: set ${user}.service_password in stratus.yaml or run Identity's bootstrap here`);
      return password;
    },
    sharedSecret: (name) => {
      // Declared in cloudOptions (stratus.<name>_secret, or STRATUS_<NAME>_SECRET), so the loader accepts the key.
      const fromConfig = (cloud as Record<string, unknown>)[`${name}_secret`];
      return typeof fromConfig === 'string' && fromConfig ? fromConfig : sharedSecret(opts.data, name);
    },
  };
  const started: { name: string; stop(): Promise<void> }[] = [];
  const urls: Record<string, string> = {};
  try {
    for (const name of ordered) {
      const role = await ROLE_SPECS[name].start(ctx);
      started.push({ name, stop: role.stop });
      Object.assign(urls, role.urls);
    }
  } catch (err) {
    for (const role of started.reverse()) await role.stop().catch(() => undefined);
    throw err;
  }
  return {
    urls,
    authUrl: ctx.authUrl,
    async stop() {
      for (const role of [...started].reverse()) await role.stop();
    },
  };
}
