// GET /os-migrations (admins): the cloud's migrations (resizes), newest first, with Nova's filters; the 2.23 links
// and migration_type, the 2.59 uuid.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { listMigrations } from '../db/migrations-repo.ts';
import type { Migration } from '../db/migrations-repo.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { timeBounds } from './query-time.ts';

const time = (t: string): string => t.replace(/Z$/, '');
/** Nova's flavor ids here are its internal integers; ours are the public ids, shown as numbers when they are. */
const flavorRef = (id: string): number | string => (/^[0-9]+$/.test(id) ? Number(id) : id);

function view(req: FastifyRequest, m: Migration): Record<string, unknown> {
  return {
    id: m.id, instance_uuid: m.instanceUuid, status: m.status, source_compute: m.sourceCompute, source_node: m.sourceNode,
    dest_compute: m.destCompute, dest_node: m.destNode, dest_host: null, old_instance_type_id: flavorRef(m.oldFlavor.id),
    new_instance_type_id: flavorRef(m.newFlavor.id), created_at: time(m.createdAt), updated_at: time(m.updatedAt),
    ...(atLeast(req, 23) ? { migration_type: m.migrationType, links: [] as unknown[] } /* Nova links in-progress live migrations only */ : {}),
    ...(atLeast(req, 59) ? { uuid: m.uuid } : {}),
    ...(atLeast(req, 80) ? { project_id: m.projectId, user_id: m.userId } : {}),
  };
}

export function registerMigrations(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/os-migrations', { schema: { querystring: {
    type: 'object', properties: {
      host: { type: 'string' }, status: { type: 'string' }, instance_uuid: { type: 'string' }, migration_type: { type: 'string', enum: ['live-migration', 'migration', 'resize', 'evacuation'] },
      limit: { type: 'integer', minimum: 0 }, user_id: { type: 'string' }, project_id: { type: 'string' },
      'changes-since': { type: 'string' }, 'changes-before': { type: 'string' },
    },
  } } }, async (req) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-migrations:index', caller.credentials, { project_id: caller.projectId });
    const q = req.query as { host?: string; status?: string; instance_uuid?: string; migration_type?: string; limit?: number; user_id?: string;
      project_id?: string; 'changes-since'?: string; 'changes-before'?: string };
    const limit = Math.min(q.limit ?? deps.maxLimit, deps.maxLimit);
    const { since: changesSince, before: changesBefore } = timeBounds(atLeast(req, 59) ? q['changes-since'] : undefined, atLeast(req, 66) ? q['changes-before'] : undefined);
    const rows = await listMigrations(deps.db, {
      host: q.host, status: q.status, instanceUuid: q.instance_uuid, type: q.migration_type, limit, changesSince, changesBefore,
      ...(atLeast(req, 80) ? { userId: q.user_id, projectId: q.project_id } : {}),
    });
    return { migrations: rows.map((m) => view(req, m)) };
  });
}
