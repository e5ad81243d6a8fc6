// Offloading a shelved server (Nova's shelve_offload_instance): the guest and its disks leave this host, its ports
// are unbound (kept, with their addresses), its volumes stay reserved but disconnected, its Placement allocation is
// deleted, and the server is SHELVED_OFFLOADED on no host. Every step is idempotent, so an offload cut off by a restart
// is simply run again.
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { disconnectVolumes } from './shelve-volumes.ts';

/** Unbinds the server's ports from this host (the network agent lets go of their taps); ports already gone are fine. */
export async function unbindPorts(deps: AgentDeps, ctx: BusContext, instance: Instance): Promise<void> {
  const network = await deps.network();
  if (!network || !instance.networkInfo.length) return;
  for (const p of instance.networkInfo) {
    await network.updatePort(p.portId, { 'binding:host_id': '' }, { globalRequestId: ctx.globalRequestId }).catch((err: unknown) => {
      if ((err as { status?: number }).status !== 404) throw err;
    });
  }
}

/**
 * Takes a server that is shelved here with task shelving_offloading off this host. Throws (leaving the task state to
 * the caller) when a step fails; the server is SHELVED_OFFLOADED only once every step is done.
 */
export async function offloadGuest(deps: AgentDeps, ctx: BusContext, instance: Instance): Promise<void> {
  const { uuid } = instance;
  await deps.driver.destroy({ uuid });
  await disconnectVolumes(deps, ctx, uuid);
  await unbindPorts(deps, ctx, instance);
  await deps.placement.deleteAllocations(uuid, { globalRequestId: ctx.globalRequestId });
  const offloaded = await deps.conductor.call('instance_update', {
    uuid, expectedTaskState: [TaskState.shelvingOffloading],
    patch: { vmState: VmState.shelvedOffloaded, taskState: null, host: null, node: null, powerState: PowerState.shutdown },
  }, ctx);
  if (!offloaded) throw new Error(`Instance ${uuid} left shelving_offloading during the offload.`);
  deps.log.info({ instance: uuid, host: deps.host }, 'shelved server offloaded');
}

/** Runs an offload; a failure leaves the server SHELVED on this host (task cleared), usable to unshelve or offload again. */
export async function offloadOrRevert(deps: AgentDeps, ctx: BusContext, instance: Instance): Promise<void> {
  try {
    await offloadGuest(deps, ctx, instance);
  } catch (err) {
    deps.log.warn({ instance: instance.uuid, err: (err as Error).message }, 'shelve offload failed');
    await deps.conductor.call('instance_update', {
      uuid: instance.uuid, expectedTaskState: [TaskState.shelvingOffloading], patch: { taskState: null },
    }, ctx).catch(() => undefined);
    throw err;
  }
}

/** shelve_offload_instance: the shelveOffload action, or an offload the periodic check found due. */
export async function shelveOffloadInstance(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  await withEvent(deps, ctx, uuid, 'compute_shelve_offload_instance', async () => {
    const instance = await deps.conductor.call('instance_get', { uuid }, ctx);
    if (!instance || instance.taskState !== TaskState.shelvingOffloading || instance.vmState !== VmState.shelved) {
      throw new Error(`Instance ${uuid} is no longer being offloaded.`);
    }
    await offloadOrRevert(deps, ctx, instance);
  }).catch(() => undefined);
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}
