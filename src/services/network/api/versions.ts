// Version discovery: GET / lists v2.0 (keystoneauth and the SDK discover the endpoint from it), GET /v2.0 lists the
// collections as Neutron does.
import type { FastifyInstance, FastifyRequest } from 'fastify';

const origin = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? req.host}`;
const COLLECTIONS = ['networks', 'subnets', 'ports', 'routers', 'floatingips', 'security-groups', 'security-group-rules', 'quotas', 'extensions'];

export function registerVersions(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async (req) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${origin(req)}/v2.0/` }] }],
  }));
  app.get('/v2.0', { config: { public: true } }, async (req) => ({
    resources: COLLECTIONS.map((name) => ({ name: name.replace(/s$/, ''), collection: name, links: [{ rel: 'self', href: `${origin(req)}/v2.0/${name}` }] })),
  }));
}
