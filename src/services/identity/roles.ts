// Identity's one role: createIdentityService builds the Keystone-compatible API on its database and key repository.
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib/log.ts';
import { openDatabase, runMigrations } from '#lib/db/index.ts';
import type { Database } from '#lib/db/index.ts';
import { createHttpService } from '#lib/http/server.ts';
import { installAuth } from '#lib/auth/middleware.ts';
import { createPolicyEnforcer, loadPolicyFile } from '#lib/policy/index.ts';
import type { IdentityTables } from './db/tables.ts';
import { identityMigrations } from './db/migrations/001-initial.ts';
import { loadKeyRing, setupKeyRepository, rotateKeys } from './domain/key-repository.ts';
import type { KeyRing } from './domain/key-repository.ts';
import { createIdentityState } from './provider/identity-state.ts';
import { createRevocationList } from './provider/revocation-list.ts';
import { createTokenProvider } from './provider/token-provider.ts';
import type { TokenProvider } from './provider/token-provider.ts';
import { keystoneErrorRenderer } from './api/render-error.ts';
import { registerIdentityRoutes } from './api/routes.ts';
import { installListLimit } from './api/list-limit.ts';
import { identityPolicy } from './policy.ts';
import type { IdentityOptions } from './config.ts';
import { bootstrapIdentity } from './bootstrap.ts';
import type { BootstrapResult, BootstrapSpec } from './bootstrap.ts';

export type { BootstrapSpec, BootstrapResult, CatalogServiceSpec } from './bootstrap.ts';
export { identityOptions } from './config.ts';
export type { IdentityOptions } from './config.ts';

export interface IdentityServiceDeps {
  options: IdentityOptions;
  databaseUrl: string;
  /** Directory of the token key repository (created with two keys if empty). */
  keysDir: string;
  /**
   * Directory of the credential key repository, which encrypts /v3/credentials blobs at rest (created with two keys
   * if empty). Defaults to `credentials` beside keysDir. Losing it makes every stored credential unreadable.
   */
  credentialKeysDir?: string;
  log: Logger;
  /** Public URL of this endpoint, for WWW-Authenticate. */
  publicUrl: string;
  bootstrap?: BootstrapSpec;
}

export interface IdentityService {
  app: FastifyInstance;
  tokens: TokenProvider;
  bootstrapResult?: BootstrapResult;
  listen(host: string, port?: number): Promise<string>;
  close(): Promise<void>;
}

export async function createIdentityService(deps: IdentityServiceDeps): Promise<IdentityService> {
  const database: Database<IdentityTables> = await openDatabase<IdentityTables>({ url: deps.databaseUrl, log: deps.log });
  try {
    await runMigrations(database, identityMigrations);
    const hashCost = { log2N: deps.options.password_hash_log2n, r: 8, p: 1 };
    const bootstrapResult = deps.bootstrap ? await bootstrapIdentity(database.db, deps.bootstrap, hashCost) : undefined;

    setupKeyRepository(deps.keysDir);
    const credentialKeysDir = deps.credentialKeysDir ?? defaultCredentialKeysDir(deps.keysDir);
    setupKeyRepository(credentialKeysDir);
    // Keys are re-read periodically so a rotation (stratus identity rotate-keys) reaches running processes.
    let ring: KeyRing = loadKeyRing(deps.keysDir);
    let credentialRing: KeyRing = loadKeyRing(credentialKeysDir);
    const reload = setInterval(() => {
      try { ring = loadKeyRing(deps.keysDir); } catch (err) { deps.log.error({ err }, 'cannot reload token keys'); }
      try { credentialRing = loadKeyRing(credentialKeysDir); } catch (err) { deps.log.error({ err }, 'cannot reload credential keys'); }
    }, 30_000);
    reload.unref();

    const state = createIdentityState(database.db);
    const revocations = createRevocationList(database.db, { refreshMs: deps.options.revocation_refresh_ms, maxTokenLifeMs: deps.options.token_expiration * 1000 });
    const tokens = createTokenProvider({ db: database.db, keys: () => ring, state, revocations, tokenLifetimeSeconds: deps.options.token_expiration, hashCost });
    const policy = createPolicyEnforcer({ rules: identityPolicy, overrides: deps.options.policy_file ? loadPolicyFile(deps.options.policy_file) : undefined });

    const app = createHttpService({ name: 'identity', log: deps.log, renderError: keystoneErrorRenderer(() => deps.publicUrl) });
    // Keystone reads one value per query parameter (the first); a repeated one must not reach the filters as an array.
    app.addHook('preValidation', async (req) => {
      const query = req.query as Record<string, unknown>;
      for (const [key, value] of Object.entries(query)) if (Array.isArray(value)) query[key] = value[0];
    });
    // Identity validates its own callers' tokens in process: the same provider that serves GET /v3/auth/tokens.
    installAuth(app, { validator: { validate: async (token) => (await tokens.validate(token)).credentials } });
    installListLimit(app, deps.options.list_limit);
    registerIdentityRoutes(app, { db: database.db, tokens, state, revocations, policy, hashCost, credentialKeys: () => credentialRing, log: deps.log });

    return {
      app, tokens, bootstrapResult,
      async listen(host, port = deps.options.port) {
        return app.listen({ host, port });
      },
      async close() {
        clearInterval(reload);
        await app.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** Rotates the token keys (staged → primary, new staged, oldest pruned), as keystone-manage fernet_rotate does. */
export function rotateIdentityKeys(keysDir: string, maxActiveKeys: number): void {
  rotateKeys(keysDir, maxActiveKeys);
}

export const defaultKeysDir = (dataDir: string): string => join(dataDir, 'keys', 'tokens');
/** The credential key repository beside the token one: <data>/keys/credentials by default. */
export const defaultCredentialKeysDir = (keysDir: string): string => join(dirname(keysDir), 'credentials');
