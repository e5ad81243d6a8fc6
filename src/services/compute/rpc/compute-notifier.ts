// Publishes compute's notifications on the bus in the configured format(s): Nova's versioned ones (`instance.*`,
// publisher `nova-compute:<host>`, topic versioned_notifications) and/or the legacy `compute.instance.*` ones. A bus
// failure is logged, never allowed to fail the flow that announced something.
import type { Bus, BusContext, NotificationPriority } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import type { Instance } from '../domain/instance.ts';
import { exceptionPayload, instanceCreateData, instancePayloadData, legacyPayload, versioned } from '../domain/notification-payloads.ts';

export type NotificationFormat = 'versioned' | 'unversioned' | 'both' | 'none';
export type ActionPhase = 'start' | 'end' | 'error';

export interface ComputeNotifier {
  /** `instance.<action>.<phase>`, or `instance.<action>` for a one-off (the API's evacuate); an error phase carries the fault. */
  instanceAction(ctx: BusContext, i: Instance, event: { action: string; phase?: ActionPhase; error?: Error }): void;
  /** `instance.update` for a vm_state or task_state change (Nova's _send_state_change_notification). */
  instanceUpdate(ctx: BusContext, before: Pick<Instance, 'vmState' | 'taskState'>, after: Instance): void;
  /** Whether anything is published at all: flows skip reading the instance when not. */
  readonly enabled: boolean;
}

export interface ComputeNotifierOptions {
  format: NotificationFormat;
  versionedTopics: readonly string[];
  legacyTopics: readonly string[];
  /** The publishing service's host; the binary is nova-compute, nova-conductor or nova-api as in Nova. */
  publisher: { binary: 'nova-compute' | 'nova-conductor' | 'nova-api'; host: string };
  log: Logger;
}

// Legacy publisher ids are `<topic>.<host>`: compute.<host>, conductor.<host>, api.<host>.
const LEGACY_PUBLISHER = { 'nova-compute': 'compute', 'nova-conductor': 'conductor', 'nova-api': 'api' } as const;

export function createComputeNotifier(bus: Bus, opts: ComputeNotifierOptions): ComputeNotifier {
  const versionedOn = opts.format === 'versioned' || opts.format === 'both';
  const legacyOn = opts.format === 'unversioned' || opts.format === 'both';
  const publish = (ctx: BusContext, n: { eventType: string; publisherId: string; priority: NotificationPriority; payload: unknown; topic: string }) => {
    bus.notify({ ...n, context: ctx }).catch((err: Error) => opts.log.warn({ err: err.message, eventType: n.eventType }, 'cannot publish a compute notification'));
  };
  const emitVersioned = (ctx: BusContext, eventType: string, priority: NotificationPriority, payload: unknown) => {
    if (!versionedOn) return;
    for (const topic of opts.versionedTopics) publish(ctx, { eventType, priority, payload, topic, publisherId: `${opts.publisher.binary}:${opts.publisher.host}` });
  };
  const emitLegacy = (ctx: BusContext, eventType: string, priority: NotificationPriority, payload: unknown) => {
    if (!legacyOn) return;
    for (const topic of opts.legacyTopics) publish(ctx, { eventType, priority, payload, topic, publisherId: `${LEGACY_PUBLISHER[opts.publisher.binary]}.${opts.publisher.host}` });
  };
  return {
    enabled: versionedOn || legacyOn,
    instanceAction(ctx, i, { action, phase, error }) {
      const priority: NotificationPriority = phase === 'error' ? 'ERROR' : 'INFO';
      const fault = error ? exceptionPayload(error, action) : null;
      // Create's payload adds its own fields, as Nova's does. (Snapshot's would add the image id, which the agent's
      // event does not carry: it goes out as a plain InstanceActionPayload.)
      const create = action === 'create';
      const data = { ...instancePayloadData(i, ctx), fault, ...(create ? instanceCreateData(i) : {}) };
      const name = phase ? `${action}.${phase}` : action;
      emitVersioned(ctx, `instance.${name}`, priority, versioned(create ? 'InstanceCreatePayload' : 'InstanceActionPayload', data));
      emitLegacy(ctx, `compute.instance.${name}`, priority, { ...legacyPayload(i), ...(error ? { message: error.message } : {}) });
    },
    instanceUpdate(ctx, before, after) {
      if (before.vmState === after.vmState && before.taskState === after.taskState) return;
      const stateUpdate = versioned('InstanceStateUpdatePayload', {
        old_state: before.vmState, state: after.vmState, old_task_state: before.taskState, new_task_state: after.taskState,
      });
      emitVersioned(ctx, 'instance.update', 'INFO', versioned('InstanceUpdatePayload', {
        ...instancePayloadData(after, ctx), state_update: stateUpdate, audit_period: null, bandwidth: [], old_display_name: null, tags: [],
      }));
      emitLegacy(ctx, 'compute.instance.update', 'INFO', {
        ...legacyPayload(after), old_state: before.vmState, old_task_state: before.taskState, new_task_state: after.taskState,
      });
    },
  };
}
