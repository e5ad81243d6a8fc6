// The instance.<action>.start/end/error notifications of the agent's flows, emitted where Nova's compute manager emits
// them: around the work each instance action event records (withEvent), so every flow announces itself in one place.
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import type { AgentDeps } from './agent-deps.ts';

/**
 * The instance as a flow last read or wrote it, for the next start/end notification instead of a read from the
 * conductor. Each notification takes it once, so a flow that has not set it again since gets the instance re-read.
 */
export interface HeldInstance {
  instance?: Instance;
}

// Instance action events → Nova's notification action names (nova.objects.fields.NotificationAction).
const ACTION_OF_EVENT: Record<string, string> = {
  compute_build_and_run_instance: 'create', compute_terminate_instance: 'delete',
  compute_stop_instance: 'power_off', compute_start_instance: 'power_on', compute_reboot_instance: 'reboot',
  compute_pause_instance: 'pause', compute_unpause_instance: 'unpause', compute_suspend_instance: 'suspend', compute_resume_instance: 'resume',
  compute_rebuild_instance: 'rebuild', compute_snapshot_instance: 'snapshot', compute_resize_instance: 'resize',
  compute_finish_resize: 'resize_finish', compute_confirm_resize: 'resize_confirm', compute_revert_resize: 'resize_revert',
  compute_shelve_instance: 'shelve', compute_shelve_offload_instance: 'shelve_offload', compute_unshelve_instance: 'unshelve',
  compute_rescue_instance: 'rescue', compute_unrescue_instance: 'unrescue',
  compute_attach_volume: 'volume_attach', compute_detach_volume: 'volume_detach',
  compute_attach_interface: 'interface_attach', compute_detach_interface: 'interface_detach',
};

// Only create has an error notification in Nova's list; the others announce a failure by their missing end.
const WITH_ERROR = new Set(['create']);

/**
 * Runs `work` between `instance.<action>.start` and `.end` (or `.error`), each with the instance as it is then.
 * Passes `work`'s result or error through unchanged; no notification when the event has no action or none is on.
 */
export async function withActionNotifications<T>(deps: AgentDeps, ctx: BusContext, a: { uuid: string; event: string; action?: string; held?: HeldInstance },
  work: () => Promise<T>): Promise<T> {
  const action = a.action ?? ACTION_OF_EVENT[a.event];
  const notifier = deps.notifier;
  if (!action || !notifier?.enabled) return work();
  const announce = async (phase: 'start' | 'end' | 'error', error?: Error) => {
    // An error can come from anywhere in the flow, so its notification always reads the instance as it is now.
    const held = phase === 'error' ? undefined : a.held?.instance;
    if (a.held) a.held.instance = undefined;
    const instance = held ?? await deps.conductor.call('instance_get', { uuid: a.uuid, includeDeleted: true }, ctx).catch(() => null);
    if (instance) notifier.instanceAction(ctx, instance, { action, phase, error });
  };
  await announce('start');
  try {
    const result = await work();
    await announce('end');
    return result;
  } catch (err) {
    if (WITH_ERROR.has(action)) await announce('error', err as Error);
    throw err;
  }
}
