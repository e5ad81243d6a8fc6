// Undoing an unshelve that did not finish on this host: the guest is destroyed, the volumes' connections here dropped
// (when the user's token allows), the ports unbound and the allocation the conductor claimed released, and the server
// leaves this host, back to SHELVED_OFFLOADED as in Nova (a failed unshelve records its fault and its event's error,
// and the user can unshelve again). Its shelved image and shelve metadata stay, so nothing of the guest is lost. A
// server deleted meanwhile only loses its guest here: its delete releases the rest.
import type { BusContext } from '#lib/bus/index.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { unbindPorts } from './shelve-offload.ts';
import { disconnectVolumes } from './shelve-volumes.ts';

const UNSHELVING: string[] = [TaskState.unshelving, TaskState.spawning];

export async function releaseFromHost(deps: AgentDeps, ctx: BusContext, uuid: string, outcome: { fault: string } | 'offloaded'): Promise<void> {
  const warn = (what: string) => (err: unknown) => deps.log.warn({ instance: uuid, err: (err as Error).message }, `undoing the unshelve: ${what}`);
  await deps.driver.destroy({ uuid }).catch(warn('cannot destroy the guest'));
  const instance = await deps.conductor.call('instance_get', { uuid }, ctx).catch(() => null);
  if (!instance || !UNSHELVING.includes(instance.taskState ?? '')) return;
  await disconnectVolumes(deps, ctx, uuid).catch(warn('cannot disconnect the volumes'));
  await unbindPorts(deps, ctx, instance).catch(warn('cannot unbind the ports'));
  await deps.placement.deleteAllocations(uuid, { globalRequestId: ctx.globalRequestId }).catch(warn('cannot release the allocation'));
  const state = { vmState: VmState.shelvedOffloaded, powerState: PowerState.shutdown,
    ...(outcome === 'offloaded' ? {} : { fault: { code: 500, message: outcome.fault, created: new Date().toISOString() } }) };
  await deps.conductor.call('instance_update', {
    uuid, expectedTaskState: UNSHELVING, patch: { ...state, taskState: null, host: null, node: null },
  }, ctx).catch(warn('cannot record the outcome'));
}
