// Placement's one role: createPlacementApi builds the Placement API on its database, authenticating callers with Identity.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib/log.ts';
import { openDatabase, runMigrations } from '#lib/db/index.ts';
import { createHttpService } from '#lib/http/server.ts';
import { createPolicyEnforcer, loadPolicyFile } from '#lib/policy/index.ts';
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
  const database = await openDatabase<PlacementTables>({ url: deps.databaseUrl, log: deps.log });
  try {
    await runMigrations(database, placementMigrations);
    const store: PlacementStore = { db: database.db, dialect: database.dialect };
    await ensureStandardRows(store);
    const policy = createPolicyEnforcer({ rules: placementPolicy, overrides: deps.options.policy_file ? loadPolicyFile(deps.options.policy_file) : undefined });

    const app = createHttpService({ name: 'placement', log: deps.log, renderError: placementErrorRenderer(() => deps.authUrl) });
    const auth = installServiceAuth(app, { authUrl: deps.authUrl, serviceUser: deps.serviceUser ?? 'placement', servicePassword: deps.servicePassword, log: deps.log });
    // After authentication, as in Placement's middleware order: a request without a valid token is 401 whatever its version.
    installMicroversions(app);
    installErrorDetails(app);
    registerPlacementRoutes(app, { store, policy, options: deps.options, log: deps.log });

    return {
      app, store,
      async listen(host, port = deps.options.port) {
        return app.listen({ host, port });
      },
      async close() {
        auth.stop();
        await app.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
