// Nova's _poll_rescued_instances: with rescue_timeout N > 0, a server rescued on this host for N seconds or more (since
// its launched_at, which a rescue sets) is unrescued, as if its owner had asked — an `unrescue` instance action and the
// usual unrescue work. 0 (the default) leaves rescued servers alone. Checked on the agent's heartbeat.
import { randomUUID } from 'node:crypto';
import type { BusContext } from '#lib/bus/index.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { unrescueInstance } from './rescue.ts';

/** Whether a server launched (rescued) at `launchedAt` has been rescued for `timeoutS` seconds at `now`. */
export function rescueExpired(launchedAt: string | null, timeoutS: number, now: Date): boolean {
  if (timeoutS <= 0 || !launchedAt) return false;
  return now.getTime() - Date.parse(launchedAt) >= timeoutS * 1000;
}

/** Unrescues the servers rescued here for longer than `timeoutS`; returns how many it started to unrescue. */
export async function unrescueExpired(deps: AgentDeps, ctx: BusContext, timeoutS: number, now = new Date()): Promise<number> {
  if (timeoutS <= 0) return 0;
  let started = 0;
  for (const i of await deps.conductor.call('host_instances', { host: deps.host }, ctx)) {
    if (i.vmState !== VmState.rescued || i.taskState !== null || !rescueExpired(i.launchedAt, timeoutS, now)) continue;
    const claimed = await deps.conductor.call('instance_update', { uuid: i.uuid, patch: { taskState: TaskState.unrescuing }, expectedTaskState: [null] }, ctx);
    if (!claimed) continue; // an action took it meanwhile
    if (claimed.vmState !== VmState.rescued) {
      // The owner's unrescue finished between the list and the claim: nothing to do, give the task state back.
      await deps.conductor.call('instance_update', { uuid: i.uuid, patch: { taskState: null }, expectedTaskState: [TaskState.unrescuing] }, ctx);
      continue;
    }
    // Its own request id per server, so each unrescue is an action of its own in the server's history.
    const id = `req-${randomUUID()}`;
    const own: BusContext = { ...ctx, requestId: id, globalRequestId: id };
    await deps.conductor.call('action_start', { uuid: i.uuid, requestId: id, globalRequestId: id, action: 'unrescue' }, own);
    deps.log.info({ instance: i.uuid, rescueTimeoutS: timeoutS }, 'unrescuing a server rescued longer than rescue_timeout');
    await unrescueInstance(deps, own, i.uuid);
    started += 1;
  }
  return started;
}

/** A check to call on every heartbeat; does nothing with rescue_timeout 0. */
export function rescueTimeoutPoll(deps: AgentDeps, timeoutS: number | undefined): (ctx: BusContext) => Promise<void> {
  return async (ctx) => {
    if (!timeoutS || timeoutS <= 0) return;
    await unrescueExpired(deps, ctx, timeoutS);
  };
}
