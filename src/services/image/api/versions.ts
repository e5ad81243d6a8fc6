// Version discovery: GET / (and /v2, /versions) lists the Image API versions as Glance does, so keystoneauth finds
// the v2 endpoint from the catalog's unversioned URL.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** v2.7 (hidden images, multihash) is the newest whose every feature a single-store site has. */
const VERSIONS = ['2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'];
/** With several stores: 2.8 (multi-store), 2.9 (import into several stores, copy-image), 2.10 (delete from a store). */
const MULTI_STORE_VERSIONS = ['2.10', '2.9', '2.8', ...VERSIONS];

function versions(req: FastifyRequest, multiStore: boolean) {
  const href = `${req.protocol}://${req.headers.host ?? req.host}/v2/`;
  return (multiStore ? MULTI_STORE_VERSIONS : VERSIONS).map((v, i) => ({ id: `v${v}`, status: i === 0 ? 'CURRENT' : 'SUPPORTED', links: [{ rel: 'self', href }] }));
}

export function registerVersions(app: FastifyInstance, multiStore: boolean): void {
  const multiple = async (req: FastifyRequest, reply: FastifyReply) => reply.code(300).send({ versions: versions(req, multiStore) });
  app.get('/', { config: { public: true } }, multiple);
  app.get('/v2', { config: { public: true } }, multiple);
  app.get('/versions', { config: { public: true } }, async (req) => ({ versions: versions(req, multiStore) }));
}
