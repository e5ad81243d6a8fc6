// The shelve server actions (Nova's os-shelve). shelve: the API makes the `<name>-shelved` image in Image with the
// caller's token (none for a server booted from a volume), sets task_state shelving and casts to the server's agent,
// which snapshots the powered-off guest into it and, per shelved_offload_time, offloads it. shelveOffload (admins by
// default): a SHELVED server leaves its host now. unshelve: the conductor powers a SHELVED server on again or
// schedules a SHELVED_OFFLOADED one to a host, into the zone (2.77) or onto the host (2.91) asked for.
import type { FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest, Conflict, ServiceUnavailable } from '#lib/errors.ts';
import type { Instance } from '../domain/instance.ts';
import { SHELVABLE } from '../domain/shelve.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { startAction } from '../db/actions-repo.ts';
import { updateInstance } from '../db/instances-repo.ts';
import { statusOf } from '../domain/vm-states.ts';
import { AGENT_BINARY, zoneOf } from '../domain/zones.ts';
import { listServices } from '../db/hosts-repo.ts';
import { hostZones } from '../db/aggregates-repo.ts';
import type { Caller, ComputeApiDeps } from './deps.ts';
import { assertZoneExists } from './availability-zones.ts';
import { atLeast } from './microversion.ts';
import { assertUnlocked, loadServer, unexpected } from './servers.ts';

async function record(deps: ComputeApiDeps, req: FastifyRequest, server: Instance, action: string): Promise<void> {
  await startAction(deps.db, {
    instanceUuid: server.uuid, action, requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: req.ctx.credentials!.userId, projectId: server.projectId,
  });
}

/** Moves task_state from null to `to` when vm_state is one of `vmStates` (and, with `onHost`, the server has a host); 409 otherwise. */
async function begin(deps: ComputeApiDeps, server: Instance, a: { action: string; vmStates: string[]; to: string; onHost: boolean }): Promise<void> {
  if (!a.vmStates.includes(server.vmState) || (a.onHost && !server.host)) throw instanceInvalidState('vm_state', server.vmState, server.uuid, a.action);
  if (server.taskState !== null) throw instanceInvalidState('task_state', server.taskState, server.uuid, a.action);
  if (!await updateInstance(deps.db, server.uuid, { taskState: a.to }, { taskState: [null] })) {
    throw instanceInvalidState('task_state', 'busy', server.uuid, a.action);
  }
}

/** The queued image the agent uploads the shelved root disk into, owned by the caller's project (as createImage's). */
async function createShelvedImage(deps: ComputeApiDeps, req: FastifyRequest, server: Instance) {
  const images = await deps.image();
  if (!images) throw new ServiceUnavailable('The Image service is not in the catalog.');
  const auth = { token: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId };
  const base = await images.getImage(server.imageRef, auth).catch(() => undefined);
  const image = await images.createImage({
    name: `${server.name}-shelved`, visibility: 'private', min_disk: Math.max(server.flavor.disk, base?.min_disk ?? 0), min_ram: base?.min_ram ?? 0,
    image_type: 'snapshot', instance_uuid: server.uuid, base_image_ref: server.imageRef, user_id: req.ctx.credentials!.userId,
  }, auth);
  return { id: image.id, drop: () => images.deleteImage(image.id, auth).catch(() => undefined) };
}

export async function shelve(deps: ComputeApiDeps, req: FastifyRequest): Promise<void> {
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-shelve:shelve');
  assertUnlocked(caller, server);
  if (!SHELVABLE.includes(server.vmState) || !server.host) throw instanceInvalidState('vm_state', server.vmState, server.uuid, 'shelve');
  if (server.taskState !== null) throw instanceInvalidState('task_state', server.taskState, server.uuid, 'shelve');
  // A server booted from a volume keeps its disk in Block Storage: nothing to snapshot.
  const image = server.imageRef ? await createShelvedImage(deps, req, server) : undefined;
  try {
    await begin(deps, server, { action: 'shelve', vmStates: SHELVABLE, to: TaskState.shelving, onHost: true });
  } catch (err) {
    await image?.drop();
    throw err;
  }
  await record(deps, req, server, 'shelve');
  await deps.agents.cast('shelve_instance', { uuid: server.uuid, imageId: image?.id ?? null }, toBusContext(req.ctx, { forwardToken: true }), { server: server.host });
}

export async function shelveOffload(deps: ComputeApiDeps, req: FastifyRequest): Promise<void> {
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-shelve:shelve_offload');
  assertUnlocked(caller, server);
  await begin(deps, server, { action: 'shelveOffload', vmStates: [VmState.shelved], to: TaskState.shelvingOffloading, onHost: true });
  await record(deps, req, server, 'shelveOffload');
  await deps.agents.cast('shelve_offload_instance', { uuid: server.uuid }, toBusContext(req.ctx, { forwardToken: true }), { server: server.host! });
}

export interface UnshelveArgs { availability_zone?: string | null; host?: string }

/**
 * Unshelve's target (2.77 availability_zone, 2.91 host and a null zone to unpin): only for an offloaded server (409
 * otherwise, as Nova); the zone must exist, the host must be a compute host (admins) in the zone the server ends in.
 * Returns the request spec the conductor schedules with, or undefined when nothing changes.
 */
async function unshelveTarget(deps: ComputeApiDeps, req: FastifyRequest, caller: Caller, server: Instance, args: UnshelveArgs | null) {
  const zoneGiven = args?.availability_zone !== undefined;
  if (zoneGiven && !atLeast(req, 77)) throw unexpected('unshelve', 'availability_zone');
  if (args?.host !== undefined && !atLeast(req, 91)) throw unexpected('unshelve', 'host');
  if (args?.availability_zone === null && !atLeast(req, 91)) throw new BadRequest("Invalid input for field/attribute availability_zone. Value: None. None is not of type 'string'");
  if (!zoneGiven && !args?.host) return undefined;
  if (server.vmState !== VmState.shelvedOffloaded) {
    throw new Conflict(`Specifying an availability zone or a host when unshelving server "${server.uuid}" with status "${statusOf(server.vmState, server.taskState)}" is not supported. The server status must be SHELVED_OFFLOADED.`);
  }
  if (args?.availability_zone) await assertZoneExists(deps, args.availability_zone);
  const zone = zoneGiven ? (args!.availability_zone ?? null) : (server.requestSpec.availabilityZone ?? null);
  const { requestedHost: _drop, ...spec } = server.requestSpec;
  if (!args?.host) return { ...spec, availabilityZone: zone };
  deps.policy.enforce('os_compute_api:os-shelve:unshelve_to_host', caller.credentials, { project_id: server.projectId, user_id: server.userId });
  if (!(await listServices(deps.db, { host: args.host, binary: AGENT_BINARY })).length) throw new BadRequest(`Compute host ${args.host} could not be found.`);
  if (zone !== null && zoneOf(args.host, await hostZones(deps.db)) !== zone) throw new Conflict(`Host "${args.host}" is not in the availability zone "${zone}".`);
  return { ...spec, availabilityZone: zone, requestedHost: args.host };
}

export async function unshelve(deps: ComputeApiDeps, req: FastifyRequest, args: UnshelveArgs | null = null): Promise<void> {
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-shelve:unshelve');
  assertUnlocked(caller, server);
  const spec = await unshelveTarget(deps, req, caller, server, args);
  await begin(deps, server, { action: 'unshelve', vmStates: [VmState.shelved, VmState.shelvedOffloaded], to: TaskState.unshelving, onHost: false });
  if (spec) await updateInstance(deps.db, server.uuid, { requestSpec: spec });
  await record(deps, req, server, 'unshelve');
  await deps.conductor.cast('unshelve_instance', { uuid: server.uuid }, toBusContext(req.ctx, { forwardToken: true }));
}
