// Compute microversions: 2.1 to 2.93 (Zed's maximum), negotiated from OpenStack-API-Version or X-OpenStack-Nova-API-Version on every
// /v2.1 request and echoed on its response.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFound } from '#lib/errors.ts';
import { microversionHeaders, negotiateMicroversion } from '#lib/http/microversion.ts';
import type { Microversion, MicroversionRange } from '#lib/http/microversion.ts';

/** Up to Zed's 2.93; what each microversion changes is honoured where it is served (see the compute README for gaps). */
export const COMPUTE_VERSIONS: MicroversionRange = {
  serviceType: 'compute',
  legacyHeader: 'x-openstack-nova-api-version',
  min: { major: 2, minor: 1 },
  max: { major: 2, minor: 93 },
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated Compute microversion; undefined outside /v2.1 or when negotiation failed. */
    computeVersion?: Microversion;
  }
}

const versioned = (url: string): boolean => url === '/v2.1' || url.startsWith('/v2.1/') || url.startsWith('/v2.1?');

/** Negotiates each /v2.1 request's version (400 malformed, 406 out of range) and echoes it on the response. */
export function installMicroversions(app: FastifyInstance): void {
  app.decorateRequest('computeVersion', undefined);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (versioned(req.url)) req.computeVersion = negotiateMicroversion(req.headers, COMPUTE_VERSIONS);
  });
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    if (req.computeVersion) for (const [k, v] of Object.entries(microversionHeaders(COMPUTE_VERSIONS, req.computeVersion))) reply.header(k, v);
    return payload;
  });
}

/** Whether the request's version is at least 2.`minor`. */
export function atLeast(req: FastifyRequest, minor: number): boolean {
  return (req.computeVersion ?? COMPUTE_VERSIONS.min).minor >= minor;
}

/** A route that appeared in 2.`minor`: 404 below it, as Nova answers. */
export function since(req: FastifyRequest, minor: number): void {
  if (!atLeast(req, minor)) throw new NotFound('The resource could not be found.');
}
