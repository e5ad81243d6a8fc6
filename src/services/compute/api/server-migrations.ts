// Nova's servers/{id}/migrations (admins): a server's live migrations in progress (2.23), force_complete (2.22) and
// abort (DELETE, 2.24; queued/preparing ones too from 2.65). The drivers here cannot pause-and-switch or cancel a
// guest's memory copy, so a migration force_complete or abort would apply to is refused with a 409, changing nothing.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import { listMigrations } from '../db/migrations-repo.ts';
import type { Migration } from '../db/migrations-repo.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { TaskState } from '../domain/vm-states.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast, since } from './microversion.ts';
import { loadServer } from './servers.ts';

const IN_PROGRESS = ['queued', 'preparing', 'running', 'post-migrating'];
const time = (t: string): string => t.replace(/Z$/, '');

function view(req: FastifyRequest, m: Migration): Record<string, unknown> {
  return {
    id: m.id, server_uuid: m.instanceUuid, status: m.status, source_compute: m.sourceCompute, source_node: m.sourceNode,
    dest_compute: m.destCompute, dest_node: m.destNode, dest_host: null, created_at: time(m.createdAt), updated_at: time(m.updatedAt),
    // No driver here reports the memory and disk copy progress: Nova shows null when it has none.
    memory_total_bytes: null, memory_processed_bytes: null, memory_remaining_bytes: null,
    disk_total_bytes: null, disk_processed_bytes: null, disk_remaining_bytes: null,
    ...(atLeast(req, 59) ? { uuid: m.uuid } : {}),
    ...(atLeast(req, 80) ? { project_id: m.projectId, user_id: m.userId } : {}),
  };
}

/** The server's live migration `id` (the integer id Nova's URLs use), in progress or not. */
async function liveMigrationOf(deps: ComputeApiDeps, uuid: string, id: string): Promise<Migration | undefined> {
  const all = await listMigrations(deps.db, { instanceUuid: uuid, type: 'live-migration', limit: 1000 });
  return all.find((m) => String(m.id) === id);
}

const notInProgress = (id: string, uuid: string) => new NotFound(`In-progress live migration ${id} is not found for server ${uuid}.`);
const wrongState = (m: Migration, method: string) =>
  new BadRequest(`Migration ${m.id} state of instance ${m.instanceUuid} is ${m.status}. Cannot ${method} while the migration is in this state.`);

export function registerServerMigrations(app: FastifyInstance, deps: ComputeApiDeps): void {
  const params = { type: 'object', properties: { server_id: { type: 'string' }, migration_id: { type: 'string' } } };
  app.get('/v2.1/servers/:server_id/migrations', async (req) => {
    since(req, 23);
    const { server } = await loadServer(deps, req, 'os_compute_api:servers:migrations:index');
    const rows = await listMigrations(deps.db, { instanceUuid: server.uuid, type: 'live-migration', limit: 1000 });
    return { migrations: rows.filter((m) => IN_PROGRESS.includes(m.status)).map((m) => view(req, m)) };
  });

  app.get('/v2.1/servers/:server_id/migrations/:migration_id', { schema: { params } }, async (req) => {
    since(req, 23);
    const { server } = await loadServer(deps, req, 'os_compute_api:servers:migrations:show');
    const id = (req.params as { migration_id: string }).migration_id;
    const m = await liveMigrationOf(deps, server.uuid, id);
    if (!m || !IN_PROGRESS.includes(m.status)) throw notInProgress(id, server.uuid);
    return { migration: view(req, m) };
  });

  app.post('/v2.1/servers/:server_id/migrations/:migration_id/action', { schema: { params, body: {
    type: 'object', additionalProperties: false, required: ['force_complete'], properties: { force_complete: { type: 'null' } },
  } } }, async (req) => {
    since(req, 22);
    const { server } = await loadServer(deps, req, 'os_compute_api:servers:migrations:force_complete');
    const id = (req.params as { migration_id: string }).migration_id;
    if (server.taskState !== TaskState.migrating) throw instanceInvalidState('task_state', String(server.taskState), server.uuid, 'force_complete');
    const m = await liveMigrationOf(deps, server.uuid, id);
    if (!m) throw new NotFound(`Migration ${id} for instance ${server.uuid} not found.`);
    if (m.status !== 'running') throw wrongState(m, 'force_complete');
    throw new Conflict(`The ${m.sourceCompute} host's hypervisor driver cannot force a live migration to complete.`);
  });

  app.delete('/v2.1/servers/:server_id/migrations/:migration_id', { schema: { params } }, async (req) => {
    since(req, 24);
    const { server } = await loadServer(deps, req, 'os_compute_api:servers:migrations:delete');
    const id = (req.params as { migration_id: string }).migration_id;
    const m = await liveMigrationOf(deps, server.uuid, id);
    if (!m || !IN_PROGRESS.includes(m.status)) throw notInProgress(id, server.uuid);
    const abortable = atLeast(req, 65) ? ['queued', 'preparing', 'running'] : ['running'];
    if (!abortable.includes(m.status)) throw wrongState(m, 'abort live migration');
    throw new Conflict(`The ${m.sourceCompute} host's hypervisor driver cannot abort a live migration in progress.`);
  });
}
