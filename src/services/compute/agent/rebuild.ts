// rebuild_instance: the guest destroyed and spawned again from the server's image (the API already recorded the new
// one), on the same host with the same ports; a stopped server stays stopped, a failure leaves it in ERROR.
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import type { HeldInstance } from './action-notifications.ts';
import { fetchImage, guestSpec, imageSource } from './build.ts';
import { bindPorts } from './networking.ts';
import type { BlockDevice, ConfigDriveFiles } from './drivers/hypervisor-driver.ts';

/**
 * The server's guest made again on this host from its image: its ports bound here, any guest of it here destroyed
 * first, spawned with `extra` (an evacuation's reconnected volumes and config drive), and powered off again when the
 * server was stopped (Nova powers a rebuilt server on only if it was active). True when it was left stopped.
 */
export async function respawnFromImage(deps: AgentDeps, ctx: BusContext, instance: Instance, extra: { blockDevices?: BlockDevice[]; configDrive?: ConfigDriveFiles } = {}): Promise<boolean> {
  const image = await fetchImage(deps, ctx, instance);
  const nics = await bindPorts(await deps.network(), ctx, instance.networkInfo, deps.host);
  await deps.driver.destroy({ uuid: instance.uuid });
  await deps.driver.spawn({ guest: guestSpec(instance, image, nics), image: image ? imageSource(deps, ctx, image) : undefined, ...extra });
  const stopped = instance.vmState === VmState.stopped;
  if (stopped) await deps.driver.powerOff({ uuid: instance.uuid });
  return stopped;
}

export async function rebuildInstance(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  try {
    // Read once, before the event: the start notification announces this copy, the end one the updated server.
    const instance = await deps.conductor.call('instance_get', { uuid }, ctx);
    const held: HeldInstance = { instance: instance ?? undefined };
    await withEvent(deps, ctx, uuid, 'compute_rebuild_instance', async () => {
      if (!instance || instance.taskState !== TaskState.rebuilding) throw new Error(`Instance ${uuid} is no longer being rebuilt.`);
      const stopped = await respawnFromImage(deps, ctx, instance);
      held.instance = await deps.conductor.call('instance_update', {
        uuid, expectedTaskState: [TaskState.rebuilding],
        patch: { vmState: stopped ? VmState.stopped : VmState.active, powerState: stopped ? PowerState.shutdown : PowerState.running, taskState: null,
          launchedAt: new Date().toISOString(), fault: null },
      }, ctx) ?? undefined;
    }, { held });
  } catch (err) {
    const message = (err as Error).message;
    deps.log.warn({ instance: uuid, err: message }, 'rebuild failed');
    await deps.conductor.call('instance_update', {
      uuid, expectedTaskState: [TaskState.rebuilding],
      patch: { vmState: VmState.error, taskState: null, fault: { code: 500, message: `Rebuild failed: ${message}`, created: new Date().toISOString() } },
    }, ctx).catch(() => undefined);
  }
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}
