// The auth middleware: every non-public route needs a valid X-Auth-Token; X-Service-Token marks a service's call.
import type { FastifyInstance } from 'fastify';
import type { Credentials } from '../context.ts';
import { Unauthorized } from '../errors.ts';

/** Validates a token; resolves its credentials or rejects when the token is not valid. */
export interface TokenValidator {
  /** `globalRequestId` lets a remote validator pass the user action's id on to Identity. */
  validate(token: string, globalRequestId?: string): Promise<Credentials>;
}

export interface AuthMiddlewareOptions {
  validator: TokenValidator;
  /** Validations are cached this long (and never past the token's expiry); 0 disables the cache. */
  cacheMs?: number;
  maxEntries?: number;
}

export interface AuthMiddleware {
  /** Forget every cached validation, e.g. after a revocation event. */
  flush(): void;
}

/**
 * Installs the onRequest hook. Routes with `config: { public: true }` skip it. The validated credentials and the raw
 * token land on req.ctx for policy checks and for forwarding on service-to-service calls.
 */
export function installAuth(app: FastifyInstance, opts: AuthMiddlewareOptions): AuthMiddleware {
  const cacheMs = opts.cacheMs ?? 0;
  const maxEntries = opts.maxEntries ?? 20_000;
  const cache = new Map<string, { creds: Credentials; until: number }>();

  async function check(token: string, globalRequestId: string): Promise<Credentials> {
    const now = Date.now();
    const hit = cache.get(token);
    if (hit && hit.until > now) return hit.creds;
    const creds = await opts.validator.validate(token, globalRequestId).catch(() => { throw new Unauthorized(); });
    if (cacheMs > 0) {
      if (cache.size >= maxEntries) cache.clear();
      cache.set(token, { creds, until: Math.min(now + cacheMs, Date.parse(creds.expiresAt)) });
    }
    return creds;
  }

  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.public) return;
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') throw new Unauthorized();
    let creds = await check(token, req.ctx.globalRequestId);
    const serviceToken = req.headers['x-service-token'];
    if (typeof serviceToken === 'string' && serviceToken !== '') {
      const svc = await check(serviceToken, req.ctx.globalRequestId);
      if (svc.roles.includes('service') || svc.roles.includes('admin')) creds = { ...creds, service: { userId: svc.userId, roles: svc.roles } };
    }
    req.ctx.credentials = creds;
    req.ctx.authToken = token;
  });
  return { flush: () => cache.clear() };
}
