// Keystone's list_limit: a collection longer than the limit is cut at the API level and marked "truncated": true.
import type { FastifyInstance } from 'fastify';

/** A collection body: one array of entities beside Keystone's collection links. */
function collectionKey(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const body = payload as Record<string, unknown>;
  const links = body.links as Record<string, unknown> | undefined;
  if (!links || !('next' in links) || !('previous' in links)) return undefined;
  const arrays = Object.keys(body).filter((k) => Array.isArray(body[k]));
  return arrays.length === 1 ? arrays[0] : undefined;
}

export function installListLimit(app: FastifyInstance, limit: number): void {
  if (limit <= 0) return;
  app.addHook('preSerialization', async (req, _reply, payload) => {
    if (req.method !== 'GET') return payload;
    const key = collectionKey(payload);
    if (!key) return payload;
    const body = payload as Record<string, unknown[]>;
    if (body[key].length <= limit) return payload;
    return { ...body, [key]: body[key].slice(0, limit), truncated: true };
  });
}
