// CORS in the proxy: OPTIONS (a plain one answers Allow; a preflight is 200 with the Access-Control-Allow-* headers when
// the origin and method are allowed, 401 otherwise, as Swift) and, on every container or object response to a caller
// sending Origin, Access-Control-Allow-Origin and -Expose-Headers when the origin is allowed (strict mode, Swift's default).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getContainer } from '../db/containers-repo.ts';
import { allowOriginValue, corsOf, exposeHeadersValue, originAllowed, withVary } from '../domain/cors.ts';
import type { CorsSettings } from '../domain/cors.ts';
import type { ProxyDeps } from './deps.ts';
import { header } from './deps.ts';
import { parseSwiftPath } from './swift-path.ts';
import type { SwiftPath } from './swift-path.ts';

const ALLOWED = {
  account: ['HEAD', 'GET', 'POST', 'OPTIONS'],
  container: ['HEAD', 'GET', 'PUT', 'POST', 'DELETE', 'OPTIONS'],
  object: ['HEAD', 'GET', 'PUT', 'POST', 'DELETE', 'OPTIONS'],
} as const;

async function containerCors(deps: ProxyDeps, path: SwiftPath): Promise<CorsSettings> {
  const c = path.container === undefined ? undefined : await getContainer(deps.db, path.account, path.container);
  return c ? corsOf(c.meta) : {};
}

/** OPTIONS on an account, container or object: needs no token. */
export async function corsPreflight(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: SwiftPath): Promise<FastifyReply> {
  const level = path.object !== undefined ? 'object' : path.container !== undefined ? 'container' : 'account';
  const methods: readonly string[] = ALLOWED[level];
  reply.header('allow', methods.join(', ')).header('content-length', 0).type('text/html; charset=UTF-8');
  const origin = header(req, 'origin');
  // Not a preflight, or one at the account (Swift has no CORS for accounts): just the methods.
  if (!origin || level === 'account') return reply.code(200).send();
  const cors = await containerCors(deps, path);
  if (!originAllowed(cors, deps.settings.corsAllowOrigin, origin) || !methods.includes(header(req, 'access-control-request-method') ?? '')) {
    return reply.code(401).send();
  }
  reply.header('access-control-allow-origin', allowOriginValue(cors, origin)).header('vary', 'Origin')
    .header('access-control-allow-methods', methods.join(', '));
  if (cors.maxAge !== undefined) reply.header('access-control-max-age', cors.maxAge);
  // Every header the browser asks about is allowed: which ones a request may carry is not a CORS matter here.
  const asked = [...new Set((header(req, 'access-control-request-headers') ?? '').split(',').map((h) => h.trim()).filter(Boolean))];
  if (asked.length > 0) {
    reply.header('access-control-allow-headers', asked.join(', ')).header('vary', 'Origin, Access-Control-Request-Headers');
  }
  return reply.code(200).send();
}

/** Adds the CORS response headers to container and object responses (errors too) for allowed origins. */
export function installCorsHeaders(app: FastifyInstance, deps: ProxyDeps): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const origin = header(req, 'origin');
    if (!origin || req.method === 'OPTIONS' || !/^\/v1(\.0)?\//.test(req.url)) return payload;
    let path: SwiftPath;
    try {
      path = parseSwiftPath(req.raw.url ?? '');
    } catch {
      return payload;
    }
    if (path.container === undefined) return payload;
    const cors = await containerCors(deps, path);
    if (!originAllowed(cors, deps.settings.corsAllowOrigin, origin)) return payload;
    if (!reply.hasHeader('access-control-expose-headers')) {
      reply.header('access-control-expose-headers', exposeHeadersValue(cors, Object.keys(reply.getHeaders())));
    }
    if (!reply.hasHeader('access-control-allow-origin')) {
      const value = allowOriginValue(cors, origin);
      reply.header('access-control-allow-origin', value);
      if (value !== '*') reply.header('vary', withVary(reply.getHeader('vary') as string | undefined, 'Origin'));
    }
    return payload;
  });
}
