// The start-up every REST service shares: open and migrate its database, compile its policy, build the HTTP app,
// authenticate callers, let the service add its routes, and close all of it in reverse order — also when start-up fails.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log.ts';
import { openDatabase, runMigrations } from '../db/index.ts';
import type { Database, Migration } from '../db/index.ts';
import { createPolicyEnforcer, loadPolicyFile } from '../policy/index.ts';
import type { PolicyEnforcer, PolicyRule } from '../policy/index.ts';
import { createHttpService } from './server.ts';
import type { HttpServiceOptions } from './server.ts';

export interface ApiServiceSetup<DB> {
  database: Database<DB>;
  app: FastifyInstance;
  policy: PolicyEnforcer;
}

export interface ApiServiceOptions<DB> {
  name: string;
  log: Logger;
  databaseUrl: string;
  migrations: Migration[];
  policy: { rules: PolicyRule[]; file?: string };
  http: Omit<HttpServiceOptions, 'name' | 'log'>;
  /** The port listen() uses when none is given. */
  port: number;
  /** Installs authentication on the app (Identity's installServiceAuth, say); stop() runs on close. */
  authenticate(app: FastifyInstance): { stop(): void };
  /**
   * Runs after migration and authentication: adds routes and hooks. What it returns runs on close, before the
   * database closes (stop background work there).
   */
  build(setup: ApiServiceSetup<DB>): Promise<(() => Promise<void>) | void> | (() => Promise<void>) | void;
}

export interface ApiService<DB> {
  app: FastifyInstance;
  database: Database<DB>;
  /** Starts listening; resolves to the URL (port 0 picks a free port). */
  listen(host: string, port?: number): Promise<string>;
  /** Stops background work, the authentication watch, the server and the database. Call once. */
  close(): Promise<void>;
}

export async function createApiService<DB>(opts: ApiServiceOptions<DB>): Promise<ApiService<DB>> {
  const database = await openDatabase<DB>({ url: opts.databaseUrl, log: opts.log });
  let auth: { stop(): void } | undefined;
  let app: FastifyInstance | undefined;
  try {
    await runMigrations(database, opts.migrations);
    const policy = createPolicyEnforcer({ rules: opts.policy.rules, overrides: opts.policy.file ? loadPolicyFile(opts.policy.file) : undefined });
    const built = createHttpService({ name: opts.name, log: opts.log, ...opts.http });
    app = built;
    auth = opts.authenticate(built);
    const cleanup = await opts.build({ database, app: built, policy });
    return {
      app: built,
      database,
      listen: (host, port = opts.port) => built.listen({ host, port }),
      async close() {
        if (cleanup) await cleanup();
        auth?.stop();
        await built.close();
        await database.close();
      },
    };
  } catch (err) {
    auth?.stop();
    await app?.close();
    await database.close();
    throw err;
  }
}
