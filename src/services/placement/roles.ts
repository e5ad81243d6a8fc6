// Placement's one role: createPlacementApi builds the Placement API on its database, authenticating callers with Identity.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib/log.ts';
import { createApiService } from '#lib/http/api-service.ts';
import { installServiceAuth } from '#services/identity/contract/service-auth.ts';
import type { PlacementTables, PlacementStore } from './db/tables.ts';
import { placementMigrations } from './db/migrations/001-initial.ts';
import { ensureStandardRows } from './db/standard-rows.ts';
import { placementErrorRenderer, installErrorDetails } from './api/render-error.ts';
import { installMicroversions } from './api/microversion.ts';
import { registerPlacementRoutes } from './api/routes.ts';
import { placementPolicy } from './policy.ts';
import type { PlacementOptions } from './config.ts';

export { placementOptions } from './config.ts';
export type { PlacementOptions } from './config.ts';

export interface PlacementRoleDeps {
  options: PlacementOptions;
  databaseUrl: string;
  /** Identity's v3 root, where callers' tokens are validated. */
  authUrl: string;
  /** The service user Placement validates tokens as (default `placement`) and its password. */
  serviceUser?: string;
  servicePassword: string;
  log: Logger;
}

export interface PlacementApi {
  app: FastifyInstance;
  store: PlacementStore;
  /** Starts listening; resolves to the URL (port 0 picks a free port). */
  listen(host: string, port?: number): Promise<string>;
  /** Stops the revocation watch, the server and the database. Call once. */
  close(): Promise<void>;
}

/**
 * Opens (and migrates) Placement's database, adds missing standard classes and traits, and builds the API.
 * Closes the database again if anything fails on the way.
 */
export async function createPlacementApi(deps: PlacementRoleDeps): Promise<PlacementApi> {
  let store: PlacementStore | undefined;
  const service = await createApiService<PlacementTables>({
    name: 'placement', log: deps.log, databaseUrl: deps.databaseUrl, migrations: placementMigrations, port: deps.options.port,
    policy: { rules: placementPolicy, file: deps.options.policy_file },
    http: { renderError: placementErrorRenderer(() => deps.authUrl) },
    authenticate: (app) => installServiceAuth(app, {
      authUrl: deps.authUrl, serviceUser: deps.serviceUser ?? 'placement', servicePassword: deps.servicePassword, log: deps.log,
    }),
    async build({ app, database, policy }) {
      store = { db: database.db, dialect: database.dialect };
      await ensureStandardRows(store);
      // After authentication, as in Placement's middleware order: a request without a valid token is 401 whatever its version.
      installMicroversions(app);
      installErrorDetails(app);
      registerPlacementRoutes(app, { store, policy, options: deps.options, log: deps.log });
    },
  });
  return { app: service.app, store: store!, listen: service.listen, close: service.close };
}
