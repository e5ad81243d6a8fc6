// Version discovery: GET / (300 Multiple Choices, as Cinder) and GET /v3/ list v3.0 with its microversion range, so
// keystoneauth and cinderclient negotiate from the catalog's URL.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatMicroversion } from '#lib/http/microversion.ts';
import { VOLUME_VERSIONS } from './microversion.ts';

const origin = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? req.host}`;

function v3(req: FastifyRequest) {
  return {
    id: 'v3.0', status: 'CURRENT', version: formatMicroversion(VOLUME_VERSIONS.max), min_version: formatMicroversion(VOLUME_VERSIONS.min),
    updated: '2016-02-08T12:20:21Z',
    links: [{ rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' }, { rel: 'self', href: `${origin(req)}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
  };
}

export function registerVersions(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async (req, reply) => reply.code(300).send({ versions: [v3(req)] }));
  app.get('/v3', { config: { public: true } }, async (req) => ({ versions: [v3(req)] }));
}
