// The conductor's instance_update for the agents, which also announces state changes as `instance.update` (Nova sends
// it from Instance.save when vm_state or task_state changes; agents save through the conductor here).
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import { patchInstance, updateInstance } from '../db/instances-repo.ts';
import type { InstancePatchArgs } from '../rpc/instance-patch.ts';
import type { ConductorDeps } from './conductor-deps.ts';

/** Applies the patch when the task state is one expected; the updated instance, or null when the race was lost. */
export async function instanceUpdate(deps: ConductorDeps, ctx: BusContext,
  a: { uuid: string; patch: InstancePatchArgs; expectedTaskState?: (string | null)[] }): Promise<Instance | null> {
  const notifier = deps.notifier;
  const changesState = notifier?.enabled && ('vmState' in a.patch || 'taskState' in a.patch);
  // Only the two states are read before: the notification needs the old ones, the rest comes from the updated row.
  const before = changesState
    ? await deps.db.selectFrom('instances').select(['vm_state', 'task_state']).where('uuid', '=', a.uuid).where('deleted', '=', false).executeTakeFirst()
    : undefined;
  const after = await updateInstance(deps.db, a.uuid, a.patch, a.expectedTaskState ? { taskState: a.expectedTaskState } : {});
  if (before && after) notifier!.instanceUpdate(ctx, { vmState: before.vm_state, taskState: before.task_state }, after);
  return after ?? null;
}

/**
 * instance_update for a caller that needs only whether the patch applied: the server is read back only when a state
 * change is announced (the notification carries it).
 */
export async function instancePatch(deps: ConductorDeps, ctx: BusContext,
  a: { uuid: string; patch: InstancePatchArgs; expectedTaskState?: (string | null)[] }): Promise<boolean> {
  if (deps.notifier?.enabled && ('vmState' in a.patch || 'taskState' in a.patch)) return (await instanceUpdate(deps, ctx, a)) !== null;
  return patchInstance(deps.db, a.uuid, a.patch, a.expectedTaskState ? { taskState: a.expectedTaskState } : {});
}
