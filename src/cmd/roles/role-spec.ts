// What the runner knows about a role: the catalog entries it serves and how to start it with the shared context.
import type { Logger } from '#lib/log.ts';
import type { ConfigFile } from '#lib/config/file.ts';
import type { OptionValues } from '#lib/config/options.ts';
import type { cloudOptions } from '#lib/config/cloud.ts';
import type { DataDir } from '../data-dir.ts';

export interface CatalogEntry {
  type: string;
  name: string;
  url: string;
}

export interface RoleContext {
  cloud: OptionValues<typeof cloudOptions>;
  config: ConfigFile;
  data: DataDir;
  log: Logger;
  /** The database URL of one service: SQLite under the data directory, or the configured template. */
  databaseUrl(service: string): string;
  /** Identity's v3 root URL, where every other role validates tokens. */
  authUrl: string;
  /** Catalog entries of every role started in this process (Identity's bootstrap registers them). */
  catalog: CatalogEntry[];
  /** Whether this process creates the bootstrap data (stratus up, or serve without --no-bootstrap). */
  bootstrap: boolean;
  /** The password of a service user, from the data directory's secrets or the service's config. */
  servicePassword(user: string): string;
  /** A secret shared by services of this cloud (e.g. `metadata_proxy`): from config `stratus.<name>_secret`, else generated once in the data directory. */
  sharedSecret(name: string): string;
}

export interface StartedRole {
  urls: Record<string, string>;
  stop(): Promise<void>;
}

export interface RoleSpec {
  catalog(ctx: Pick<RoleContext, 'cloud' | 'config'>): CatalogEntry[];
  start(ctx: RoleContext): Promise<StartedRole>;
}
