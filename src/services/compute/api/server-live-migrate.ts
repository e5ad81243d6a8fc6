// Nova's os-migrateLive server action (admins): checks the body for the request's microversion, records a
// live-migration migration (status accepted) and casts the rest to the conductor, which schedules the destination.
import type { FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest } from '#lib/errors.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { startAction } from '../db/actions-repo.ts';
import { listServices } from '../db/hosts-repo.ts';
import { updateInstance } from '../db/instances-repo.ts';
import { insertMigration } from '../db/migrations-repo.ts';
import { AGENT_BINARY } from '../domain/zones.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { assertUnlocked, loadServer, unexpected } from './servers.ts';

/** Any shape of every microversion; the fields a version allows are checked in liveMigrateArgs. */
export const migrateLiveAction = {
  type: 'object', additionalProperties: false, required: ['host', 'block_migration'],
  properties: {
    host: { type: ['string', 'null'], minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' },
    block_migration: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
    disk_over_commit: {}, force: {},
  },
};

interface LiveArgs { host: string | null; block_migration: unknown; disk_over_commit?: unknown; force?: unknown }

const invalid = (field: string, value: unknown) => new BadRequest(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}.`);
// Nova's parameter_types.boolean: a boolean or one of these strings.
const BOOLEAN_STRINGS = ['true', 'True', 'TRUE', 'false', 'False', 'FALSE', '1', '0', 'yes', 'no', 'on', 'off', 'y', 'n', 't', 'f'];
const isBoolean = (v: unknown) => typeof v === 'boolean' || (typeof v === 'string' && BOOLEAN_STRINGS.includes(v));

function liveMigrateArgs(req: FastifyRequest, a: LiveArgs): { host: string | null } {
  // 2.1–2.24: block_migration and disk_over_commit booleans, both required; 2.25 drops disk_over_commit and allows
  // block_migration 'auto'; 2.30–2.67 add force.
  if (atLeast(req, 25)) {
    if (a.disk_over_commit !== undefined) throw unexpected('os-migrateLive', 'disk_over_commit');
    if (a.block_migration !== 'auto' && !isBoolean(a.block_migration)) throw invalid('block_migration', a.block_migration);
  } else {
    if (a.disk_over_commit === undefined) throw new BadRequest("Invalid input for field/attribute os-migrateLive. 'disk_over_commit' is a required property");
    if (!isBoolean(a.block_migration)) throw invalid('block_migration', a.block_migration);
    if (!isBoolean(a.disk_over_commit)) throw invalid('disk_over_commit', a.disk_over_commit);
  }
  if (a.force !== undefined && (!atLeast(req, 30) || atLeast(req, 68))) throw unexpected('os-migrateLive', 'force');
  if (a.force !== undefined && !isBoolean(a.force)) throw invalid('force', a.force);
  return { host: a.host };
}

export async function liveMigrate(deps: ComputeApiDeps, req: FastifyRequest, body: LiveArgs): Promise<void> {
  const { host } = liveMigrateArgs(req, body);
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-migrate-server:migrate_live');
  assertUnlocked(caller, server);
  if (host !== null) {
    if (!(await listServices(deps.db, { host, binary: AGENT_BINARY })).length) throw new BadRequest(`Compute host ${host} could not be found.`);
    if (host === server.host) throw new BadRequest(`Unable to migrate instance (${server.uuid}) to current host (${host}).`);
  }
  if (![VmState.active, VmState.paused].includes(server.vmState as 'active') || !server.host) {
    throw instanceInvalidState('vm_state', server.vmState, server.uuid, 'os-migrateLive');
  }
  if (!await updateInstance(deps.db, server.uuid, { taskState: TaskState.migrating }, { taskState: [null] })) {
    throw instanceInvalidState('task_state', String(server.taskState), server.uuid, 'os-migrateLive');
  }
  const migration = await insertMigration(deps.db, {
    instanceUuid: server.uuid, projectId: server.projectId, userId: server.userId, migrationType: 'live-migration', status: 'accepted',
    sourceCompute: server.host, sourceNode: server.node, oldFlavor: server.flavor, newFlavor: server.flavor,
  });
  await startAction(deps.db, {
    instanceUuid: server.uuid, action: 'live-migration', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: req.ctx.credentials!.userId, projectId: server.projectId,
  });
  await deps.conductor.cast('live_migrate_instance', { uuid: server.uuid, migrationUuid: migration.uuid, ...(host ? { requestedHost: host } : {}) },
    toBusContext(req.ctx, { forwardToken: true }));
}
