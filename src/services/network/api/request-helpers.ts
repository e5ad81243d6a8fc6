// Small request readers every resource uses: the If-Match revision constraint and the body envelope.
import type { FastifyRequest } from 'fastify';
import { NeutronError } from '../domain/errors.ts';

/** `If-Match: revision_number=N` → N; other If-Match forms are not revision constraints and are ignored. */
export function expectedRevision(req: FastifyRequest): number | undefined {
  const header = req.headers['if-match'];
  if (typeof header !== 'string') return undefined;
  const m = /^\s*revision_number=(.*)$/.exec(header);
  if (!m) return undefined;
  if (!/^\d+$/.test(m[1].trim())) throw new NeutronError(400, 'HTTPBadRequest', `If-Match header value ${header} is not a revision number constraint`);
  return Number(m[1].trim());
}

/** The resource object inside Neutron's envelope (`{"network": {...}}`), already schema-checked. */
export function bodyOf<T>(req: FastifyRequest, key: string): T {
  return (req.body as Record<string, T>)[key];
}
