// unshelve_instance on the agent. A server still SHELVED here is powered on again (Nova's start_instance, task
// powering-on). An offloaded one, which the conductor scheduled to this host with its allocation claimed, is spawned
// from its shelved image (task spawning): its ports bound to this host, its volumes reconnected. Either way the
// shelved image is then deleted from Image and the shelve's system metadata cleared. A failed spawn leaves nothing
// here: the server goes to ERROR with the fault, its allocation released, its shelved image kept.
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import { SHELVE_KEYS, shelveRecordOf } from '../domain/shelve.ts';
import type { ShelveRecord } from '../domain/shelve.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { fetchImage, guestSpec, imageSource } from './build.ts';
import { configDriveFor } from './config-drive.ts';
import { bindPorts } from './networking.ts';
import { powerNumber } from './power.ts';
import { reconnectVolumes } from './shelve-volumes.ts';
import { releaseFromHost } from './unshelve-cleanup.ts';

/** Spawns the server's guest here from its shelved image (none: booted from a volume), with its ports and volumes. */
async function spawnFromShelved(deps: AgentDeps, ctx: BusContext, instance: Instance, shelve: ShelveRecord): Promise<void> {
  const image = await fetchImage(deps, ctx, { ...instance, imageRef: shelve.imageId ?? '' });
  const nics = await bindPorts(await deps.network(), ctx, instance.networkInfo, deps.host);
  const blockDevices = await reconnectVolumes(deps, ctx, instance.uuid);
  await deps.driver.spawn({
    guest: guestSpec(instance, image, nics), image: image ? imageSource(deps, ctx, image) : undefined,
    configDrive: await configDriveFor(deps, ctx, instance), blockDevices,
  });
}

/** The shelve is over: its image goes from Image, its keys from the system metadata. */
async function forgetShelve(deps: AgentDeps, ctx: BusContext, uuid: string, shelve: ShelveRecord): Promise<void> {
  const image = await deps.image().catch(() => undefined);
  if (shelve.imageId && image && ctx.authToken) {
    await image.deleteImage(shelve.imageId, { token: ctx.authToken, serviceToken: await deps.serviceToken(), globalRequestId: ctx.globalRequestId })
      .catch((err: unknown) => deps.log.warn({ instance: uuid, image: shelve.imageId, err: (err as Error).message }, 'cannot delete the shelved image'));
  }
  await deps.conductor.call('system_metadata_update', { uuid, remove: SHELVE_KEYS }, ctx);
}

const running = { vmState: VmState.active, taskState: null, powerState: PowerState.running };

/** A server shelved on this host: its guest powered on again (or, if an interrupted offload removed it, spawned again here). */
async function powerOnShelved(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  try {
    await withEvent(deps, ctx, uuid, 'compute_start_instance', async () => {
      const instance = await deps.conductor.call('instance_get', { uuid }, ctx);
      if (!instance || instance.taskState !== TaskState.poweringOn) throw new Error(`Instance ${uuid} is no longer being unshelved.`);
      const shelve = shelveRecordOf(await deps.conductor.call('system_metadata_get', { uuid }, ctx));
      if (await deps.driver.powerState({ uuid })) await deps.driver.powerOn({ uuid });
      else await spawnFromShelved(deps, ctx, instance, shelve);
      if (!await deps.conductor.call('instance_update', { uuid, expectedTaskState: [TaskState.poweringOn], patch: running }, ctx)) {
        throw new Error(`Instance ${uuid} left powering-on during the unshelve.`);
      }
      await forgetShelve(deps, ctx, uuid, shelve);
    });
  } catch (err) {
    deps.log.warn({ instance: uuid, err: (err as Error).message }, 'unshelve (power on) failed');
    const power = await deps.driver.powerState({ uuid }).catch(() => undefined);
    await deps.conductor.call('instance_update', {
      uuid, expectedTaskState: [TaskState.poweringOn], patch: { taskState: null, ...(power ? { powerState: powerNumber(power) } : {}) },
    }, ctx).catch(() => undefined);
  }
}

/** An offloaded server the conductor placed here: spawned from its shelved image. */
async function spawnOffloaded(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  try {
    await withEvent(deps, ctx, uuid, 'compute_unshelve_instance', async () => {
      const instance = await deps.conductor.call('instance_update', { uuid, patch: { taskState: TaskState.spawning }, expectedTaskState: [TaskState.unshelving] }, ctx);
      if (!instance || instance.vmState !== VmState.shelvedOffloaded) throw new Error(`Instance ${uuid} is no longer being unshelved.`);
      const shelve = shelveRecordOf(await deps.conductor.call('system_metadata_get', { uuid }, ctx));
      await spawnFromShelved(deps, ctx, instance, shelve);
      const active = await deps.conductor.call('instance_update', {
        uuid, expectedTaskState: [TaskState.spawning], patch: { ...running, launchedAt: new Date().toISOString(), fault: null },
      }, ctx);
      if (!active) throw new Error(`Instance ${uuid} left spawning during the unshelve.`);
      await forgetShelve(deps, ctx, uuid, shelve);
    });
  } catch (err) {
    const message = (err as Error).message;
    deps.log.warn({ instance: uuid, err: message }, 'unshelve failed');
    await releaseFromHost(deps, ctx, uuid, { fault: `Unshelve failed: ${message}` });
  }
}

export async function unshelveInstance(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  const instance = await deps.conductor.call('instance_get', { uuid }, ctx);
  if (instance?.vmState === VmState.shelved) await powerOnShelved(deps, ctx, uuid);
  else if (instance) await spawnOffloaded(deps, ctx, uuid);
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}
