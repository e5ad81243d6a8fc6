// What a restarted agent does with work its predecessor left half-done (Nova's init_host): a build cut off cannot be
// resumed (the user's token went with it), so the server goes to ERROR with a fault saying why, and so does a rebuild
// or resize cut off (its guest may be half gone, a resize's allocations split; Nova errors them too); a delete is
// finished; any other interrupted action is cleared so the server is usable again. Nothing stays stuck in a task state.
import type { BusContext } from '#lib/bus/index.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { terminateInstance } from './terminate.ts';
import { powerNumber } from './power.ts';
import { recoverRescue } from './rescue.ts';
import { recoverShelveWork } from './shelve-recover.ts';

const UNRESUMABLE: string[] = [TaskState.rebuilding, TaskState.resizeMigrating, TaskState.resizeMigrated, TaskState.resizeFinish, TaskState.resizeReverting];

/** `evacuating`: servers another host is rebuilding (evacuate-cleanup.ts), whose task state is not this host's to clear. */
export async function recoverInterrupted(deps: AgentDeps, ctx: BusContext, evacuating: Set<string> = new Set()): Promise<number> {
  const instances = await deps.conductor.call('host_instances', { host: deps.host }, ctx);
  let recovered = 0;
  for (const i of instances) {
    if (i.taskState === null || evacuating.has(i.uuid)) continue;
    recovered += 1;
    if (await recoverShelveWork(deps, ctx, i)) {
      // An offload run again, or an unshelve undone (shelve-recover.ts).
    } else if (i.taskState === TaskState.deleting) {
      await terminateInstance(deps, ctx, i.uuid);
    } else if (i.vmState === VmState.building || UNRESUMABLE.includes(i.taskState)) {
      const building = i.vmState === VmState.building;
      if (building) {
        await deps.driver.destroy({ uuid: i.uuid }).catch(() => undefined);
        // As Nova does when a build aborts: the claim goes back, so a server that never ran holds no capacity.
        await deps.placement.deleteAllocations(i.uuid, { globalRequestId: ctx.globalRequestId }).catch(() => undefined);
      }
      const what = building ? 'build' : i.taskState === TaskState.rebuilding ? 'rebuild' : 'resize';
      await deps.conductor.call('instance_update', {
        uuid: i.uuid, expectedTaskState: [i.taskState],
        patch: { vmState: VmState.error, taskState: null, fault: { code: 500, message: `The ${what} was interrupted by a restart of its compute agent.`, created: new Date().toISOString() } },
      }, ctx);
    } else if (i.taskState === TaskState.rescuing || i.taskState === TaskState.unrescuing) {
      await recoverRescue(deps, ctx, i);
    } else {
      const power = await deps.driver.powerState({ uuid: i.uuid });
      await deps.conductor.call('instance_update', { uuid: i.uuid, expectedTaskState: [i.taskState], patch: { taskState: null, ...(power ? { powerState: powerNumber(power) } : {}) } }, ctx);
    }
    deps.log.warn({ instance: i.uuid, taskState: i.taskState, vmState: i.vmState }, 'recovered work interrupted by a restart');
  }
  return recovered;
}
