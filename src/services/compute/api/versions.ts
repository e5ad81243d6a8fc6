// Version discovery: GET / lists v2.0 and v2.1 as Nova does, GET /v2.1 describes v2.1 with its microversion range,
// so keystoneauth and the SDK negotiate from the catalog's URL.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatMicroversion } from '#lib/http/microversion.ts';
import { COMPUTE_VERSIONS } from './microversion.ts';

const origin = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? req.host}`;

function v20(req: FastifyRequest) {
  return {
    id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z',
    links: [{ rel: 'self', href: `${origin(req)}/v2/` }],
  };
}

function v21(req: FastifyRequest) {
  return {
    id: 'v2.1', status: 'CURRENT', version: formatMicroversion(COMPUTE_VERSIONS.max), min_version: formatMicroversion(COMPUTE_VERSIONS.min),
    updated: '2013-07-23T11:33:21Z', links: [{ rel: 'self', href: `${origin(req)}/v2.1/` }],
  };
}

export function registerVersions(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async (req) => ({ versions: [v20(req), v21(req)] }));
  app.get('/v2.1', { config: { public: true } }, async (req) => ({
    version: {
      ...v21(req),
      links: [...v21(req).links, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
    },
  }));
}
