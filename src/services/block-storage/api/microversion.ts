// Block Storage microversions: 3.0 to 3.60, negotiated from `OpenStack-API-Version: volume 3.x` on every /v3 request
// and echoed on its response.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFound } from '#lib/errors.ts';
import { microversionHeaders, negotiateMicroversion } from '#lib/http/microversion.ts';
import type { Microversion, MicroversionRange } from '#lib/http/microversion.ts';

export const VOLUME_VERSIONS: MicroversionRange = {
  serviceType: 'volume',
  min: { major: 3, minor: 0 },
  max: { major: 3, minor: 60 },
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated Block Storage microversion; undefined outside /v3. */
    volumeVersion?: Microversion;
  }
}

const versioned = (url: string): boolean => url.startsWith('/v3/') && url.length > 4 && !url.startsWith('/v3/?');

export function installMicroversions(app: FastifyInstance): void {
  app.decorateRequest('volumeVersion', undefined);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (versioned(req.url)) req.volumeVersion = negotiateMicroversion(req.headers, VOLUME_VERSIONS);
  });
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    if (req.volumeVersion) for (const [k, v] of Object.entries(microversionHeaders(VOLUME_VERSIONS, req.volumeVersion))) reply.header(k, v);
    return payload;
  });
}

/** Whether the request's version is at least 3.`minor`. */
export function atLeast(req: FastifyRequest, minor: number): boolean {
  return (req.volumeVersion ?? VOLUME_VERSIONS.min).minor >= minor;
}

/** A route that appeared in 3.`minor`: 404 below it, as Cinder answers. */
export function since(req: FastifyRequest, minor: number): void {
  if (!atLeast(req, minor)) throw new NotFound('The resource could not be found.');
}
