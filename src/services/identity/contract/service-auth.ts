// Everything a service other than Identity needs to authenticate its callers, in one call: its own service session,
// the remote token validator for the auth middleware, and the revocation watch that keeps the middleware's cache honest.
import type { FastifyInstance } from 'fastify';
import { installAuth } from '#lib/auth/middleware.ts';
import type { Logger } from '#lib/log.ts';
import { createIdentityClient, createRemoteTokenValidator, createServiceSession, watchRevocations } from './client.ts';
import type { IdentityClient } from './client.ts';

export interface ServiceAuthOptions {
  /** Identity v3 root, e.g. http://127.0.0.1:5000/v3. */
  authUrl: string;
  /** The service user (in the Default domain's `service` project) and its password. */
  serviceUser: string;
  servicePassword: string;
  /** How long a validation may be served from cache; revocations flush it sooner. */
  cacheMs?: number;
  revocationPollMs?: number;
  log: Logger;
}

export interface ServiceAuth {
  identity: IdentityClient;
  /** The service's own token, for calls to other services (sent as X-Service-Token). */
  serviceToken(): Promise<string>;
  /** Another service's URL from the catalog (see ServiceSession.endpoint). */
  endpoint(type: string): Promise<string | undefined>;
  stop(): void;
}

/** Installs the auth middleware on `app` and starts the revocation watch; call stop() on shutdown. */
export function installServiceAuth(app: FastifyInstance, opts: ServiceAuthOptions): ServiceAuth {
  const identity = createIdentityClient({ authUrl: opts.authUrl });
  const session = createServiceSession(identity, { userName: opts.serviceUser, password: opts.servicePassword, projectName: 'service' });
  const auth = installAuth(app, { validator: createRemoteTokenValidator(identity, session), cacheMs: opts.cacheMs ?? 300_000 });
  const stop = watchRevocations({
    client: identity, session, intervalMs: opts.revocationPollMs ?? 2000, onRevoked: () => auth.flush(),
    onError: (err) => opts.log.warn({ err: (err as Error).message }, 'cannot read revocation events from Identity'),
  });
  return { identity, serviceToken: () => session.token(), endpoint: (type) => session.endpoint(type), stop };
}
