// Power actions (stop, start, reboot, pause, suspend and back): the API set the task state; the agent asks the driver
// and reports the resulting vm and power states, or clears the task state when the driver fails.
import type { BusContext } from '#lib/bus/index.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import type { HeldInstance } from './action-notifications.ts';

interface PowerAction {
  event: string;
  taskState: string;
  run(deps: AgentDeps, uuid: string): Promise<void>;
  vmState: string;
  powerState: number;
}

function need<T>(fn: T | undefined, what: string): T {
  if (!fn) throw new Error(`The ${what} operation is not supported by this hypervisor driver.`);
  return fn;
}

export const POWER_ACTIONS: Record<string, PowerAction> = {
  stop: { event: 'compute_stop_instance', taskState: TaskState.poweringOff, vmState: VmState.stopped, powerState: PowerState.shutdown,
    run: (d, uuid) => d.driver.powerOff({ uuid }) },
  start: { event: 'compute_start_instance', taskState: TaskState.poweringOn, vmState: VmState.active, powerState: PowerState.running,
    run: (d, uuid) => d.driver.powerOn({ uuid }) },
  reboot: { event: 'compute_reboot_instance', taskState: TaskState.rebooting, vmState: VmState.active, powerState: PowerState.running,
    run: (d, uuid) => d.driver.reboot({ uuid, hard: false }) },
  rebootHard: { event: 'compute_reboot_instance', taskState: TaskState.rebootingHard, vmState: VmState.active, powerState: PowerState.running,
    run: (d, uuid) => d.driver.reboot({ uuid, hard: true }) },
  pause: { event: 'compute_pause_instance', taskState: TaskState.pausing, vmState: VmState.paused, powerState: PowerState.paused,
    run: (d, uuid) => need(d.driver.pause, 'pause').call(d.driver, { uuid }) },
  unpause: { event: 'compute_unpause_instance', taskState: TaskState.unpausing, vmState: VmState.active, powerState: PowerState.running,
    run: (d, uuid) => need(d.driver.unpause, 'unpause').call(d.driver, { uuid }) },
  suspend: { event: 'compute_suspend_instance', taskState: TaskState.suspending, vmState: VmState.suspended, powerState: PowerState.suspended,
    run: (d, uuid) => need(d.driver.suspend, 'suspend').call(d.driver, { uuid }) },
  resume: { event: 'compute_resume_instance', taskState: TaskState.resuming, vmState: VmState.active, powerState: PowerState.running,
    run: (d, uuid) => need(d.driver.resume, 'resume').call(d.driver, { uuid }) },
};

export async function runPowerAction(deps: AgentDeps, ctx: BusContext, uuid: string, action: PowerAction): Promise<void> {
  // The end notification announces the server as the update left it; the start one reads it (the cast carries none).
  const held: HeldInstance = {};
  try {
    await withEvent(deps, ctx, uuid, action.event, async () => {
      await action.run(deps, uuid);
      held.instance = await deps.conductor.call('instance_update', {
        uuid, expectedTaskState: [action.taskState], patch: { vmState: action.vmState, powerState: action.powerState, taskState: null },
      }, ctx) ?? undefined;
    }, { held });
  } catch (err) {
    deps.log.warn({ instance: uuid, err: (err as Error).message }, `${action.event} failed`);
    // The server stays in its previous state, usable again (Nova reverts the task state on failure).
    const power = await deps.driver.powerState({ uuid }).catch(() => undefined);
    await deps.conductor.call('instance_update', {
      uuid, expectedTaskState: [action.taskState], patch: { taskState: null, ...(power ? { powerState: powerNumber(power) } : {}) },
    }, ctx).catch(() => undefined);
  }
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}

export function powerNumber(p: string): number {
  const map: Record<string, number> = { running: PowerState.running, paused: PowerState.paused, shutdown: PowerState.shutdown,
    suspended: PowerState.suspended, crashed: PowerState.crashed };
  return map[p] ?? PowerState.nostate;
}
