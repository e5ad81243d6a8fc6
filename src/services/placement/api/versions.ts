// GET / (no token needed): the one major version, with the microversion range this Placement implements.
import type { FastifyInstance } from 'fastify';
import { formatMicroversion } from '#lib/http/microversion.ts';
import { PLACEMENT_VERSIONS } from './microversion.ts';

export function registerVersions(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async () => ({
    versions: [{
      id: 'v1.0',
      min_version: formatMicroversion(PLACEMENT_VERSIONS.min),
      max_version: formatMicroversion(PLACEMENT_VERSIONS.max),
      status: 'CURRENT',
      // Relative, as Placement answers: "this same URL".
      links: [{ rel: 'self', href: '' }],
    }],
  }));
}
