// The shelve server actions (Nova's os-shelve). shelve: the API makes the `<name>-shelved` image in Image with the
// caller's token (none for a server booted from a volume), sets task_state shelving and casts to the server's agent,
// which snapshots the powered-off guest into it and, per shelved_offload_time, offloads it. shelveOffload (admins by
// default): a SHELVED server leaves its host now. unshelve: the conductor powers a SHELVED server on again or
// schedules a SHELVED_OFFLOADED one to a host. Availability zone and host on unshelve (2.77, 2.91) are beyond the
// microversions this API serves.
import type { FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { ServiceUnavailable } from '#lib/errors.ts';
import type { Instance } from '../domain/instance.ts';
import { SHELVABLE } from '../domain/shelve.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { startAction } from '../db/actions-repo.ts';
import { updateInstance } from '../db/instances-repo.ts';
import type { ComputeApiDeps } from './deps.ts';
import { assertUnlocked, loadServer } from './servers.ts';

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

export async function unshelve(deps: ComputeApiDeps, req: FastifyRequest): Promise<void> {
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-shelve:unshelve');
  assertUnlocked(caller, server);
  await begin(deps, server, { action: 'unshelve', vmStates: [VmState.shelved, VmState.shelvedOffloaded], to: TaskState.unshelving, onHost: false });
  await record(deps, req, server, 'unshelve');
  await deps.conductor.cast('unshelve_instance', { uuid: server.uuid }, toBusContext(req.ctx, { forwardToken: true }));
}
