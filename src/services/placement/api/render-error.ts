// Placement's error body (the API-WG errors guideline): {"errors": [{"status", "title", "detail", "code", "request_id"}]}.
// The code appears from microversion 1.23; a 406 from negotiation carries the supported min_version and max_version.
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { StratusError } from '#lib/errors.ts';
import type { ErrorRenderer } from '#lib/http/server.ts';
import { PLACEMENT_CODES } from '../domain/errors.ts';
import { atLeast } from './microversion.ts';

interface ErrorEntry {
  status: number;
  title: string;
  detail: string;
  code?: string;
  request_id?: string;
  min_version?: string;
  max_version?: string;
}

export function placementErrorRenderer(authUrl: () => string): ErrorRenderer {
  return (err: StratusError) => {
    const entry: ErrorEntry = {
      status: err.status,
      title: STATUS_CODES[err.status] ?? 'Error',
      detail: err.message,
      code: err.code.startsWith('placement.') ? err.code : PLACEMENT_CODES.undefinedCode,
    };
    const details = err.details as { min_version?: string; max_version?: string } | undefined;
    if (err.status === 406 && details?.max_version) Object.assign(entry, { min_version: details.min_version, max_version: details.max_version });
    return {
      body: { errors: [entry] },
      headers: err.status === 401 ? { 'www-authenticate': `Keystone uri="${authUrl()}"` } : undefined,
    };
  };
}

/**
 * Completes error bodies with what the renderer cannot know: the request id, and whether the negotiated version
 * (1.23+) shows the code. Registered once on the service's app.
 */
export function installErrorDetails(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req, reply, payload: unknown) => {
    const errors = reply.statusCode >= 400 ? (payload as { errors?: ErrorEntry[] } | null)?.errors : undefined;
    if (!Array.isArray(errors)) return payload;
    for (const e of errors) {
      e.request_id = req.id;
      if (!req.placementVersion || !atLeast(req, 23)) delete e.code;
    }
    return payload;
  });
}
