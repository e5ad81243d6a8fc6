// POST /os-server-external-events (service users and admins): other services tell Compute that something happened
// to a server's resources. Handled: `volume-extended` (2.51+, tag = the volume id), which Block Storage sends after an
// attached volume grew; the server's agent makes the guest see the new size. Per event a code, as Nova answers:
// 200 accepted, 404 no such server, 422 a server not on any host yet; 207 when some failed, a 404 error when all did.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest, NotFound } from '#lib/errors.ts';
import type { ComputeApiDeps } from './deps.ts';
import { authorize, callerOf } from './deps.ts';
import { atLeast } from './microversion.ts';
import { getInstance } from '../db/instances-repo.ts';

const UUID = '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$';

const body = {
  type: 'object', required: ['events'], additionalProperties: false,
  properties: {
    events: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', required: ['name', 'server_uuid'], additionalProperties: false,
        properties: {
          name: { type: 'string', enum: ['volume-extended'] },
          server_uuid: { type: 'string', pattern: UUID },
          tag: { type: 'string', maxLength: 255 },
          status: { type: 'string', enum: ['failed', 'completed', 'in-progress'] },
        },
      },
    },
  },
} as const;

interface ExternalEvent { name: string; server_uuid: string; tag?: string; status?: string }

async function handle(deps: ComputeApiDeps, req: FastifyRequest, e: ExternalEvent): Promise<Record<string, unknown>> {
  const out = { name: e.name, server_uuid: e.server_uuid, ...(e.tag !== undefined ? { tag: e.tag } : {}), status: e.status ?? 'completed' };
  const server = await getInstance(deps.db, e.server_uuid);
  if (!server) return { ...out, status: 'failed', code: 404 };
  if (!server.host) return { ...out, status: 'failed', code: 422 };
  // The agent reads the volume's new size from Block Storage with the sender's (service) token.
  await deps.agents.cast('extend_volume', { uuid: server.uuid, volumeId: e.tag! }, toBusContext(req.ctx, { forwardToken: true }), { server: server.host });
  return { ...out, code: 200 };
}

export function registerServerExternalEvents(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post('/v2.1/os-server-external-events', { schema: { body } }, async (req, reply) => {
    authorize(deps, callerOf(deps, req), 'os_compute_api:os-server-external-events:create');
    const events = (req.body as { events: ExternalEvent[] }).events;
    for (const e of events) {
      if (e.name === 'volume-extended' && !atLeast(req, 51)) throw new BadRequest('Invalid input for field/attribute name. Value: volume-extended needs microversion 2.51.');
      if (e.name === 'volume-extended' && !e.tag) throw new BadRequest('Event volume-extended needs a tag: the id of the volume that was extended.');
    }
    const results = [];
    for (const e of events) results.push(await handle(deps, req, e));
    const ok = results.filter((r) => r.code === 200).length;
    if (ok === 0) throw new NotFound('No instances found for any event');
    return reply.code(ok === results.length ? 200 : 207).send({ events: results });
  });
}
