// Version discovery: GET / answers 300 with the one version, GET /v3 describes it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseUrl } from './deps.ts';

function v3(req: FastifyRequest) {
  return {
    id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${baseUrl(req)}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

export function registerVersions(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async (req, reply) => reply.code(300).send({ versions: { values: [v3(req)] } }));
  app.get('/v3', { config: { public: true } }, async (req) => ({ version: v3(req) }));
}
