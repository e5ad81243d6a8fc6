// Nova's evacuate server action (admins): a server whose host's compute service is down is rebuilt from its image on
// another host. The API checks the body for the request's microversion (onSharedStorage before 2.14, force 2.29–2.67),
// that the source's service is down and a named destination is known and up, records an `evacuation` migration
// (status accepted) and the `evacuate` action with task_state rebuilding, and casts the rest to the conductor, which
// schedules the destination (conductor/evacuate.ts). It announces instance.evacuate as Nova's API does. Nova answers
// 200 — with the admin password before 2.14.
import type { FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { serviceIsUp } from '../domain/service-status.ts';
import { AGENT_BINARY } from '../domain/zones.ts';
import { startAction } from '../db/actions-repo.ts';
import { listServices } from '../db/hosts-repo.ts';
import { updateInstance } from '../db/instances-repo.ts';
import { insertMigration, updateMigration } from '../db/migrations-repo.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { loadServer, unexpected } from './servers.ts';
import { generatePassword } from './server-rescue.ts';

/** Any shape of every microversion; evacuateArgs checks the fields a version allows. */
export const evacuateAction = {
  type: 'object', additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' },
    adminPass: { type: 'string' },
    onSharedStorage: {}, force: {},
  },
};

interface EvacuateBody { host?: string; adminPass?: string; onSharedStorage?: unknown; force?: unknown }

// Nova's parameter_types.boolean / strutils.bool_from_string(strict=True).
const TRUE_STRINGS = ['true', 'True', 'TRUE', '1', 'yes', 'on', 'y', 't'];
const FALSE_STRINGS = ['false', 'False', 'FALSE', '0', 'no', 'off', 'n', 'f'];
function toBoolean(field: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && TRUE_STRINGS.includes(v)) return true;
  if (typeof v === 'string' && FALSE_STRINGS.includes(v)) return false;
  throw new BadRequest(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(v)}. ${JSON.stringify(v)} is not of type 'boolean'`);
}

function evacuateArgs(req: FastifyRequest, b: EvacuateBody): { host?: string; force: boolean; password: string } {
  if (atLeast(req, 14)) {
    if (b.onSharedStorage !== undefined) throw unexpected('evacuate', 'onSharedStorage');
  } else {
    if (b.onSharedStorage === undefined) throw new BadRequest("Invalid input for field/attribute evacuate. 'onSharedStorage' is a required property");
    const shared = toBoolean('onSharedStorage', b.onSharedStorage);
    if (shared && b.adminPass !== undefined) throw new BadRequest("admin password can't be changed on existing disk");
    // Nova would rebuild on the instance's existing disk there; no two Stratus hosts share instance storage.
    if (shared) throw new BadRequest('The server\'s disk is not on shared storage: this cloud\'s compute hosts share no instance storage (onSharedStorage must be false).');
  }
  let force = false;
  if (b.force !== undefined) {
    if (!atLeast(req, 29) || atLeast(req, 68)) throw unexpected('evacuate', 'force');
    force = toBoolean('force', b.force);
    if (force && !b.host) throw new BadRequest("Can't force to a non-provided destination");
  }
  return { host: b.host, force, password: b.adminPass ?? generatePassword() };
}

const EVACUABLE: string[] = [VmState.active, VmState.stopped, VmState.error];

export async function evacuate(deps: ComputeApiDeps, req: FastifyRequest, body: EvacuateBody): Promise<{ adminPass: string } | undefined> {
  const { host, force, password } = evacuateArgs(req, body);
  const { server } = await loadServer(deps, req, 'os_compute_api:os-evacuate');
  const now = Date.now();
  let target: Awaited<ReturnType<typeof listServices>>[number] | undefined;
  if (host !== undefined) {
    [target] = await listServices(deps.db, { host, binary: AGENT_BINARY });
    if (!target) throw new NotFound(`Compute host ${host} not found.`);
    if (host === server.host) throw new BadRequest("The target host can't be the same one.");
  }
  if (!EVACUABLE.includes(server.vmState) || !server.host) throw instanceInvalidState('vm_state', server.vmState, server.uuid, 'evacuate');
  // Only a server whose host is gone may be rebuilt elsewhere: its guest may still run otherwise (Nova's
  // ComputeServiceInUse, a 400 in Nova's API).
  const [source] = await listServices(deps.db, { host: server.host, binary: AGENT_BINARY });
  if (source && serviceIsUp(source, now, deps.serviceDownTimeMs)) throw new BadRequest(`Compute service of ${server.host} is still in use.`);
  // Nova leaves a down destination to the scheduler (or a forced rebuild to fail there); refused here, nothing changes.
  if (target && !serviceIsUp(target, now, deps.serviceDownTimeMs)) throw new BadRequest(`Compute service of ${host} is unavailable at this time.`);
  const rebuilding = await updateInstance(deps.db, server.uuid, { taskState: TaskState.rebuilding }, { taskState: [null] });
  if (!rebuilding) throw instanceInvalidState('task_state', String(server.taskState), server.uuid, 'evacuate');
  // The migration is also the tombstone the source's agent finds when it comes back (agent/evacuate-cleanup.ts).
  const migration = await insertMigration(deps.db, {
    instanceUuid: server.uuid, projectId: server.projectId, userId: server.userId, migrationType: 'evacuation', status: 'accepted',
    sourceCompute: server.host, sourceNode: server.node, oldFlavor: server.flavor, newFlavor: server.flavor,
  });
  if (host) await updateMigration(deps.db, migration.uuid, { destCompute: host });
  await startAction(deps.db, {
    instanceUuid: server.uuid, action: 'evacuate', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: req.ctx.credentials!.userId, projectId: server.projectId,
  });
  const ctx = toBusContext(req.ctx, { forwardToken: true });
  // Nova's API announces the evacuation itself, once and without phases, with the server as it is now (still on its
  // source, rebuilding); the destination then announces instance.rebuild.start/end around the rebuild.
  deps.notifier?.instanceAction(ctx, rebuilding, { action: 'evacuate' });
  await deps.conductor.cast('evacuate_instance', {
    uuid: server.uuid, migrationUuid: migration.uuid, ...(host ? (force ? { forcedHost: host } : { requestedHost: host }) : {}),
  }, ctx);
  return atLeast(req, 14) ? undefined : { adminPass: password };
}
