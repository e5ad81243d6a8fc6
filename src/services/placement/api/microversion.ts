// Placement microversions: 1.0 to 1.39, negotiated per request from OpenStack-API-Version, echoed on every response.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MethodNotAllowed, NotFound } from '#lib/errors.ts';
import { microversionHeaders, negotiateMicroversion } from '#lib/http/microversion.ts';
import type { Microversion, MicroversionRange } from '#lib/http/microversion.ts';

/** The microversions this Placement implements: all of them, up to 1.39 (Yoga's maximum; the API has not moved since). */
export const PLACEMENT_VERSIONS: MicroversionRange = {
  serviceType: 'placement',
  min: { major: 1, minor: 0 },
  max: { major: 1, minor: 39 },
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated Placement microversion; undefined when negotiation failed or had not run. */
    placementVersion?: Microversion;
  }
  interface FastifyReply {
    /** When the answered entity last changed (ISO time), for Last-Modified from 1.15; now when unset. */
    lastModified?: string;
  }
}

/**
 * Negotiates the version of each request (400 malformed, 406 out of range) and echoes it; from 1.15, responses that
 * carry a body get cache-control: no-cache and last-modified, as Placement sends them.
 */
export function installMicroversions(app: FastifyInstance): void {
  app.decorateRequest('placementVersion', undefined);
  app.decorateReply('lastModified', undefined);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    req.placementVersion = negotiateMicroversion(req.headers, PLACEMENT_VERSIONS);
  });
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    const v = req.placementVersion;
    if (!v) return payload;
    for (const [k, value] of Object.entries(microversionHeaders(PLACEMENT_VERSIONS, v))) reply.header(k, value);
    const hasBody = payload !== undefined && payload !== null && payload !== '';
    if (atLeast(req, 15) && reply.statusCode < 300 && hasBody && ['GET', 'PUT', 'POST'].includes(req.method)) {
      reply.header('cache-control', 'no-cache');
      reply.header('last-modified', new Date(reply.lastModified ?? Date.now()).toUTCString());
    }
    return payload;
  });
}

/** Whether the request's version is at least 1.`minor`. */
export function atLeast(req: FastifyRequest, minor: number): boolean {
  const v = req.placementVersion ?? PLACEMENT_VERSIONS.min;
  return v.major > 1 || (v.major === 1 && v.minor >= minor);
}

/** A route that appeared in 1.`minor`: 404 below it (405 where Placement answers so), as Placement does. */
export function since(req: FastifyRequest, minor: number, status: 404 | 405 = 404): void {
  if (atLeast(req, minor)) return;
  throw status === 405 ? new MethodNotAllowed() : new NotFound('The resource could not be found.');
}

/** The negotiated minor version (the major is always 1). */
export function minorOf(req: FastifyRequest): number {
  return (req.placementVersion ?? PLACEMENT_VERSIONS.min).minor;
}
