// The proxy's route table. Every /v1 request goes through one dispatcher that reads the names from the raw URL.
// Requests with a token are authenticated by the service's auth middleware; requests without one reach the handlers
// too (a route constraint picks a public twin of each route), where only container ACLs can let them through.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { accountRequest } from './account.ts';
import { bulkDelete } from './bulk-delete.ts';
import { containerRequest } from './container.ts';
import { corsPreflight, installCorsHeaders } from './cors.ts';
import type { ProxyDeps } from './deps.ts';
import { extractArchive } from './extract-archive.ts';
import { formPost, isFormPost } from './formpost.ts';
import { registerInfo } from './info.ts';
import { copyObject, putObject } from './object-write.ts';
import { deleteObject, postObject } from './object-meta.ts';
import { readObject } from './object-read.ts';
import { parseSwiftPath } from './swift-path.ts';
import { checkTempUrl } from './tempurl.ts';

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'COPY', 'OPTIONS'];

async function dispatch(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = parseSwiftPath(req.raw.url ?? '');
  // The bulk middleware's requests, at any level of the path (Swift's bulk sits before the proxy's routing).
  const q = req.query as Record<string, unknown>;
  if (req.method === 'OPTIONS') return corsPreflight(deps, req, reply, path);
  if (path.container !== undefined && isFormPost(req, path)) return formPost(deps, req, reply, { ...path, container: path.container });
  if (req.method === 'PUT' && q['extract-archive'] !== undefined) return extractArchive(deps, req, reply, path, q['extract-archive']);
  if ((req.method === 'POST' || req.method === 'DELETE') && q['bulk-delete'] !== undefined) return bulkDelete(deps, req, reply, path.account);
  if (path.container === undefined) return accountRequest(deps, req, reply, path.account);
  if (path.object === undefined) return containerRequest(deps, req, reply, path.account, path.container);
  const objectPath = { account: path.account, container: path.container, object: path.object };
  await checkTempUrl(deps, req, objectPath);
  switch (req.method) {
    case 'GET': case 'HEAD': return readObject(deps, req, reply, objectPath);
    case 'PUT': return putObject(deps, req, reply, objectPath);
    case 'POST': return postObject(deps, req, reply, objectPath);
    case 'DELETE': return deleteObject(deps, req, reply, objectPath);
    default: return copyObject(deps, req, reply, objectPath);
  }
}

/** Which twin of a route a request takes: `token` (authenticated by the middleware) or `anonymous` (public). */
function installTokenConstraint(app: FastifyInstance): void {
  app.addConstraintStrategy({
    name: 'swiftCaller',
    storage() {
      const handlers = new Map<string, unknown>();
      return { get: (k: string) => (handlers.get(k) ?? null) as never, set: (k: string, v: unknown) => { handlers.set(k, v); } };
    },
    deriveConstraint: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const token = req.headers['x-auth-token'];
      return typeof token === 'string' && token !== '' ? 'token' : 'anonymous';
    },
    // Routes without the constraint (/info) still match every request.
    mustMatchWhenDerived: false,
  });
}

export function registerObjectStorageRoutes(app: FastifyInstance, deps: ProxyDeps): void {
  // Object bodies are never buffered: whatever the content type, the handler gets the request stream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  registerInfo(app, deps.settings);
  installTokenConstraint(app);
  installCorsHeaders(app, deps);
  // Swift's COPY is not among the methods Fastify knows by default.
  if (!app.supportedMethods.includes('COPY')) app.addHttpMethod('COPY');
  const handler = (req: FastifyRequest, reply: FastifyReply) => dispatch(deps, req, reply);
  for (const url of ['/v1/*', '/v1.0/*']) {
    app.route({ method: METHODS, url, exposeHeadRoute: false, constraints: { swiftCaller: 'token' }, handler });
    app.route({ method: METHODS, url, exposeHeadRoute: false, constraints: { swiftCaller: 'anonymous' }, config: { public: true }, handler });
  }
}
