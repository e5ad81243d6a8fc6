// The createImage server action: a queued image in Image, made with the caller's token (so their project owns it), then
// task_state image_snapshot and a cast to the server's agent, which uploads the root disk into it (agent/snapshot.ts).
// Answers 202 with the image's URL in Location, or from 2.45 with {"image_id"} in the body, as Nova does. A volume-backed
// server is snapshotted in Block Storage instead (volume-backed-snapshot.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest, ServiceUnavailable } from '#lib/errors.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { checkQuota } from '../domain/quotas.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { updateInstance } from '../db/instances-repo.ts';
import { projectLimits } from '../db/quotas-repo.ts';
import { finishAction, startAction } from '../db/actions-repo.ts';
import { isVolumeBacked } from '../domain/volume-backed.ts';
import { snapshotVolumeBacked } from './volume-backed-snapshot.ts';
import type { ComputeApiDeps } from './deps.ts';
import { assertUnlocked, loadServer } from './servers.ts';
import { atLeast } from './microversion.ts';

const SNAPSHOT_STATES: string[] = [VmState.active, VmState.stopped, VmState.paused, VmState.suspended];

export async function createImage(deps: ComputeApiDeps, req: FastifyRequest, reply: FastifyReply, args: { name: string; metadata?: Record<string, string> }) {
  if (args.name.trim() !== args.name) throw new BadRequest('Invalid input for field/attribute name: leading or trailing whitespace is not allowed.');
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:servers:create_image');
  assertUnlocked(caller, server);
  if (!SNAPSHOT_STATES.includes(server.vmState) || !server.host) throw instanceInvalidState('vm_state', server.vmState, server.uuid, 'createImage');
  if (server.taskState !== null) throw instanceInvalidState('task_state', server.taskState, server.uuid, 'createImage');
  const metadata = args.metadata ?? {};
  const limit = (await projectLimits(deps.db, server.projectId)).metadata_items;
  checkQuota({ metadata_items: limit }, { metadata_items: 0 }, { metadata_items: Object.keys(metadata).length });
  const images = await deps.image();
  if (!images) throw new ServiceUnavailable('The Image service is not in the catalog.');
  // A volume-backed server: its volumes are snapshotted in Block Storage and the image maps them (Nova's way).
  if (isVolumeBacked(server)) {
    deps.policy.enforce('os_compute_api:servers:create_image:allow_volume_backed', caller.credentials, { project_id: server.projectId });
    await startAction(deps.db, {
      instanceUuid: server.uuid, action: 'createImage', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
      userId: caller.credentials.userId, projectId: server.projectId,
    });
    try {
      const image = await snapshotVolumeBacked(deps, req, server, { name: args.name, metadata, callerProjectId: caller.projectId ?? '' });
      if (atLeast(req, 45)) return reply.code(202).send({ image_id: image.id });
      return reply.code(202).header('location', `${images.endpoint}/v2/images/${image.id}`).send();
    } finally {
      await finishAction(deps.db, server.uuid, req.ctx.requestId);
    }
  }
  const auth = { token: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId };
  const base = server.imageRef ? await images.getImage(server.imageRef, auth).catch(() => undefined) : undefined;
  const image = await images.createImage({
    name: args.name, visibility: 'private',
    min_disk: Math.max(server.flavor.disk, base?.min_disk ?? 0), min_ram: base?.min_ram ?? 0,
    ...metadata,
    image_type: 'snapshot', instance_uuid: server.uuid, base_image_ref: server.imageRef ?? '', user_id: caller.credentials.userId,
  }, auth);
  const moved = await updateInstance(deps.db, server.uuid, { taskState: TaskState.imageSnapshot }, { taskState: [null] });
  if (!moved) {
    await images.deleteImage(image.id, auth).catch(() => undefined);
    throw instanceInvalidState('task_state', 'busy', server.uuid, 'createImage');
  }
  await startAction(deps.db, {
    instanceUuid: server.uuid, action: 'createImage', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: caller.credentials.userId, projectId: server.projectId,
  });
  await deps.agents.cast('snapshot_instance', { uuid: server.uuid, imageId: image.id }, toBusContext(req.ctx, { forwardToken: true }), { server: server.host });
  if (atLeast(req, 45)) return reply.code(202).send({ image_id: image.id });
  return reply.code(202).header('location', `${images.endpoint}/v2/images/${image.id}`).send();
}
