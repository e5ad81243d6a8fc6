// Compute's roles. This slice has one: createComputeApi builds the Nova v2.1 API (versions, flavors) on its database.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib/log.ts';
import { createApiService } from '#lib/http/api-service.ts';
import { installServiceAuth } from '#services/identity/contract/service-auth.ts';
import type { ComputeOptions } from './config.ts';
import { computePolicy } from './policy.ts';
import type { ComputeTables } from './db/tables.ts';
import { computeMigrations } from './db/migrations/001-initial.ts';
import { novaErrorRenderer } from './api/render-error.ts';
import { installMicroversions } from './api/microversion.ts';
import { registerComputeRoutes } from './api/routes.ts';

export { computeOptions } from './config.ts';
export type { ComputeOptions } from './config.ts';

export interface ComputeApiServiceDeps {
  options: ComputeOptions;
  databaseUrl: string;
  /** Identity's v3 root, where callers' tokens are validated. */
  authUrl: string;
  /** The `nova` service user's password. */
  servicePassword: string;
  log: Logger;
}

export interface ComputeApi {
  app: FastifyInstance;
  /** Starts listening; resolves to the URL (port 0 picks a free port). */
  listen(host: string, port?: number): Promise<string>;
  /** Stops the revocation watch, the server and the database. Call once. */
  close(): Promise<void>;
}

/**
 * Opens (and migrates: the first start creates devstack's default flavors) the compute database and builds the API.
 * Closes the database again if anything fails on the way.
 */
export async function createComputeApi(deps: ComputeApiServiceDeps): Promise<ComputeApi> {
  const { options } = deps;
  return createApiService<ComputeTables>({
    name: 'compute', log: deps.log, databaseUrl: deps.databaseUrl, migrations: computeMigrations, port: options.port,
    policy: { rules: computePolicy, file: options.policy_file },
    http: { renderError: novaErrorRenderer(() => deps.authUrl), requestIdHeaders: ['x-compute-request-id'] },
    authenticate: (app) => installServiceAuth(app, { authUrl: deps.authUrl, serviceUser: 'nova', servicePassword: deps.servicePassword, log: deps.log }),
    build({ app, database, policy }) {
      // After authentication, as in Nova's pipeline: a request without a valid token is 401 whatever its version.
      installMicroversions(app);
      registerComputeRoutes(app, { db: database.db, policy, maxLimit: options.max_limit, log: deps.log });
    },
  });
}
