// rescue_instance and unrescue_instance: the API set task_state rescuing (unrescuing); the agent fetches the rescue
// image from Image with the user's token (the one asked for, else the server's own), has the driver boot the guest
// from a fresh disk of it with the server's disk attached, and reports RESCUE — or back to its own disk and ACTIVE.
// A failed rescue or unrescue leaves the server in ERROR with a fault saying why, as Nova does.
import type { BusContext } from '#lib/bus/index.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { Instance } from '../domain/instance.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { fetchImage, guestSpec, imageSource } from './build.ts';
import { configDriveFor } from './config-drive.ts';
import { powerNumber } from './power.ts';
import type { ConfigDriveFiles, RescueImage } from './drivers/hypervisor-driver.ts';

/** The config drive a rescued guest gets: the server's own documents, meta_data.json carrying the rescue password. */
export function withAdminPass(files: ConfigDriveFiles, password: string): ConfigDriveFiles {
  return Object.fromEntries(Object.entries(files).map(([path, content]) => [path,
    /^openstack\/[^/]+\/meta_data\.json$/.test(path) ? JSON.stringify({ ...JSON.parse(String(content)) as object, admin_pass: password }) : content]));
}

async function fail(deps: AgentDeps, ctx: BusContext, uuid: string, from: string, message: string): Promise<void> {
  const power = await deps.driver.powerState({ uuid }).catch(() => undefined);
  await deps.conductor.call('instance_update', {
    uuid, expectedTaskState: [from],
    patch: { vmState: VmState.error, taskState: null, ...(power ? { powerState: powerNumber(power) } : {}), fault: { code: 400, message, created: new Date().toISOString() } },
  }, ctx).catch(() => undefined);
}

export async function rescueInstance(deps: AgentDeps, ctx: BusContext, args: { uuid: string; rescuePassword: string; rescueImageRef: string | null }): Promise<void> {
  const { uuid } = args;
  try {
    await withEvent(deps, ctx, uuid, 'compute_rescue_instance', async () => {
      const instance = await deps.conductor.call('instance_get', { uuid }, ctx);
      if (!instance || instance.taskState !== TaskState.rescuing) throw new Error(`Instance ${uuid} is no longer being rescued.`);
      if (!deps.driver.rescue) throw new Error(`The ${deps.driver.type} driver cannot rescue a guest.`);
      const ref = args.rescueImageRef ?? instance.imageRef;
      const record = ref ? await fetchImage(deps, ctx, { ...instance, imageRef: ref }) : null;
      if (!record) throw new Error('Cannot rescue a volume-backed instance');
      // The image's properties (hw_rescue_device, hw_rescue_bus…) as a spawn would see them.
      const image: RescueImage = { ...imageSource(deps, ctx, record), properties: guestSpec(instance, record, []).image?.properties ?? {} };
      const drive = await configDriveFor(deps, ctx, instance);
      await deps.driver.rescue({ uuid, image, rescuePassword: args.rescuePassword, configDrive: drive && withAdminPass(drive, args.rescuePassword) });
      const power = await deps.driver.powerState({ uuid });
      await deps.conductor.call('instance_update', {
        uuid, expectedTaskState: [TaskState.rescuing],
        patch: { vmState: VmState.rescued, taskState: null, powerState: power ? powerNumber(power) : PowerState.running, launchedAt: new Date().toISOString() },
      }, ctx);
    });
  } catch (err) {
    deps.log.warn({ instance: uuid, err: (err as Error).message }, 'rescue failed');
    await fail(deps, ctx, uuid, TaskState.rescuing, `Instance ${uuid} cannot be rescued: Driver Error: ${(err as Error).message}`);
  }
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}

export async function unrescueInstance(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  try {
    await withEvent(deps, ctx, uuid, 'compute_unrescue_instance', () => unrescueGuest(deps, ctx, uuid));
  } catch (err) {
    deps.log.warn({ instance: uuid, err: (err as Error).message }, 'unrescue failed');
    await fail(deps, ctx, uuid, TaskState.unrescuing, `Instance ${uuid} could not be unrescued: ${(err as Error).message}`);
  }
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}

async function unrescueGuest(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  if (!deps.driver.unrescue) throw new Error(`The ${deps.driver.type} driver cannot unrescue a guest.`);
  await deps.driver.unrescue({ uuid });
  const power = await deps.driver.powerState({ uuid });
  await deps.conductor.call('instance_update', {
    uuid, expectedTaskState: [TaskState.unrescuing],
    patch: { vmState: VmState.active, taskState: null, powerState: power ? powerNumber(power) : PowerState.running },
  }, ctx);
}

/**
 * A rescue or unrescue its agent's restart cut off (recover.ts): either way the guest goes back to its own disk (the
 * driver's unrescue is idempotent). An unrescue so finishes (ACTIVE); a rescue did not happen, so the server goes to
 * ERROR with a fault saying so — it runs its own disk, and may be rescued again.
 */
export async function recoverRescue(deps: AgentDeps, ctx: BusContext, instance: Instance): Promise<void> {
  const { uuid, taskState } = instance;
  try {
    if (taskState === TaskState.unrescuing) return await unrescueGuest(deps, ctx, uuid);
    await deps.driver.unrescue?.({ uuid });
    await fail(deps, ctx, uuid, TaskState.rescuing, `Instance ${uuid} cannot be rescued: the rescue was interrupted by a restart of its compute agent.`);
  } catch (err) {
    await fail(deps, ctx, uuid, String(taskState), `The ${taskState === TaskState.unrescuing ? 'unrescue' : 'rescue'} was interrupted by a restart of its compute agent and could not be finished: ${(err as Error).message}`);
  }
}
