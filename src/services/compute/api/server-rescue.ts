// The rescue and unrescue server actions (Nova's os-rescue): checks as Nova's compute API makes them — lock, state,
// a rescue image that exists and can be used, no volume-backed root — then task_state rescuing (unrescuing), the
// instance action, and the cast to the server's agent. Rescue answers 200 with the rescue password (Nova keeps 200).
import { randomInt } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest } from '#lib/errors.ts';
import type { Instance } from '../domain/instance.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { imageNotFound, instanceInvalidState } from '../domain/errors.ts';
import { startAction } from '../db/actions-repo.ts';
import { updateInstance } from '../db/instances-repo.ts';
import type { ComputeApiDeps } from './deps.ts';
import { assertUnlocked, loadServer } from './servers.ts';
import { atLeast } from './microversion.ts';

export interface RescueArgs {
  adminPass?: string;
  rescue_image_ref?: string;
}

const RESCUABLE: string[] = [VmState.active, VmState.stopped, VmState.error];

export const unsupportedRescueImage = (image: string): BadRequest => new BadRequest(`Requested rescue image '${image}' is not supported`);
const notRescuable = (uuid: string, reason: string): BadRequest => new BadRequest(`Instance ${uuid} cannot be rescued: ${reason}`);

/** A password as Nova's generate_password makes them: 12 characters without look-alikes. */
export function generatePassword(): string {
  const symbols = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  return Array.from({ length: 12 }, () => symbols[randomInt(symbols.length)]).join('');
}

/**
 * The rescue image must be active in Image (a given rescue_image_ref that is not: Nova's UnsupportedRescueImage), not a
 * volume snapshot, and ask for a stable device rescue only on a bus Stratus's drivers attach a rescue disk to.
 */
async function checkRescueImage(deps: ComputeApiDeps, req: FastifyRequest, server: Instance, ref: string | undefined): Promise<void> {
  const images = await deps.image();
  if (!images) throw new BadRequest('The Image service is not available in this cloud.');
  const id = ref ?? server.imageRef;
  const image = await images.getImage(id, { token: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId });
  if (!image || image.status !== 'active') throw ref ? unsupportedRescueImage(ref) : imageNotFound(id);
  const props = image as Record<string, unknown>;
  if (ref && props.img_block_device_mapping !== undefined) throw unsupportedRescueImage(ref);
  const device = props.hw_rescue_device;
  const bus = props.hw_rescue_bus;
  if (device !== undefined && bus !== undefined && (device !== 'disk' || bus !== 'virtio')) {
    throw notRescuable(server.uuid, `a stable device rescue attaches the rescue image as a virtio disk only (the image asks for hw_rescue_device=${String(device)}, hw_rescue_bus=${String(bus)})`);
  }
}

async function begin(deps: ComputeApiDeps, req: FastifyRequest, server: Instance, action: 'rescue' | 'unrescue', from: string[], to: string): Promise<void> {
  if (!from.includes(server.vmState) || !server.host) throw instanceInvalidState('vm_state', server.vmState, server.uuid, action);
  if (!await updateInstance(deps.db, server.uuid, { taskState: to }, { taskState: [null] })) {
    throw instanceInvalidState('task_state', String(server.taskState), server.uuid, action);
  }
  await startAction(deps.db, {
    instanceUuid: server.uuid, action, requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: req.ctx.credentials!.userId, projectId: server.projectId,
  });
}

export async function rescue(deps: ComputeApiDeps, req: FastifyRequest, args: RescueArgs | null): Promise<{ adminPass: string }> {
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-rescue');
  assertUnlocked(caller, server);
  if (!RESCUABLE.includes(server.vmState) || !server.host) throw instanceInvalidState('vm_state', server.vmState, server.uuid, 'rescue');
  // Nova rescues a server booted from a volume from 2.87 on hosts with COMPUTE_BFV_RESCUE; no Stratus driver can (the
  // agent's rescue swaps local disks), so it answers as Nova does for such a host.
  if (!server.imageRef) throw notRescuable(server.uuid, atLeast(req, 87) ? 'Host unable to rescue a volume-backed instance' : 'Cannot rescue a volume-backed instance');
  await checkRescueImage(deps, req, server, args?.rescue_image_ref);
  const adminPass = args?.adminPass ?? generatePassword();
  await begin(deps, req, server, 'rescue', RESCUABLE, TaskState.rescuing);
  await deps.agents.cast('rescue_instance', { uuid: server.uuid, rescuePassword: adminPass, rescueImageRef: args?.rescue_image_ref ?? null },
    toBusContext(req.ctx, { forwardToken: true }), { server: server.host! });
  return { adminPass };
}

export async function unrescue(deps: ComputeApiDeps, req: FastifyRequest): Promise<void> {
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-unrescue');
  assertUnlocked(caller, server);
  await begin(deps, req, server, 'unrescue', [VmState.rescued], TaskState.unrescuing);
  await deps.agents.cast('unrescue_instance', { uuid: server.uuid }, toBusContext(req.ctx), { server: server.host! });
}
