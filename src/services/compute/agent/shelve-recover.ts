// What a restarted agent does with shelve work its predecessor left half-done: an offload is run again (each step is
// idempotent; only the volumes' connections wait for unshelve, the user's token being gone); an unshelve spawn is
// undone back to SHELVED_OFFLOADED (its shelved image is still there to unshelve again); an unshelve's power-on leaves
// the server SHELVED with its guest off. A shelve cut off mid-snapshot is no different from other interrupted work
// (recover.ts clears it; the power sync then shows the powered-off guest as SHUTOFF).
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { offloadOrRevert } from './shelve-offload.ts';
import { releaseFromHost } from './unshelve-cleanup.ts';

/** Recovers `i` when its interrupted work is shelve's; false when it is not (the caller handles it). */
export async function recoverShelveWork(deps: AgentDeps, ctx: BusContext, i: Instance): Promise<boolean> {
  if (i.vmState === VmState.shelved && i.taskState === TaskState.shelvingOffloading) {
    await offloadOrRevert(deps, ctx, i).catch(() => undefined);
    return true;
  }
  if (i.vmState === VmState.shelvedOffloaded && (i.taskState === TaskState.unshelving || i.taskState === TaskState.spawning)) {
    await releaseFromHost(deps, ctx, i.uuid, 'offloaded');
    return true;
  }
  if (i.vmState === VmState.shelved && (i.taskState === TaskState.poweringOn || i.taskState === TaskState.unshelving)) {
    if (await deps.driver.powerState({ uuid: i.uuid }) === 'running') await deps.driver.powerOff({ uuid: i.uuid, timeoutMs: 0 }).catch(() => undefined);
    await deps.conductor.call('instance_update', {
      uuid: i.uuid, expectedTaskState: [i.taskState], patch: { taskState: null, powerState: PowerState.shutdown },
    }, ctx);
    return true;
  }
  return false;
}
