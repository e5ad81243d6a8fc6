// The conductor's part of unshelve (Nova's unshelve_instance): a server still shelved on its host is powered on there;
// an offloaded one is scheduled as a build is — select_destinations claims a host in Placement, in the zone the user
// asked for and within its server group's policy — recorded on that host and cast there to be spawned from its
// shelved image. No valid host leaves the server SHELVED_OFFLOADED with the failed event saying why, as in Nova.
import type { BusContext } from '#lib/bus/index.ts';
import { RemoteError } from '#lib/errors.ts';
import { finishAction, finishEvent, startEvent } from '../db/actions-repo.ts';
import { getInstance, updateInstance } from '../db/instances-repo.ts';
import { groupRules, groupOf, liveMembers } from '../db/server-groups-repo.ts';
import { hostZones } from '../db/aggregates-repo.ts';
import { claimedResources } from '../domain/volume-backed.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { zoneOf } from '../domain/zones.ts';
import { NO_VALID_HOST } from '../rpc/scheduler-rpc.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { requestedZone } from './build-instances.ts';

/** Nova's event name for the scheduling step of an unshelve. */
export const UNSHELVE_SCHEDULE_EVENT = 'schedule_instances';

export async function unshelveInstance(deps: ConductorDeps, ctx: BusContext, uuid: string): Promise<void> {
  const instance = await getInstance(deps.db, uuid);
  if (!instance || instance.taskState !== TaskState.unshelving) return; // deleted, or recovered meanwhile
  if (instance.vmState === VmState.shelved && instance.host) {
    // Still on its host with its allocation: the agent powers it on (Nova casts start_instance with powering-on).
    if (!await updateInstance(deps.db, uuid, { taskState: TaskState.poweringOn }, { taskState: [TaskState.unshelving] })) return;
    await deps.agents.cast('unshelve_instance', { uuid }, ctx, { server: instance.host });
    return;
  }
  await startEvent(deps.db, uuid, ctx.requestId, UNSHELVE_SCHEDULE_EVENT, null);
  const gctx = { globalRequestId: ctx.globalRequestId };
  const back = async (error: string) => {
    await finishEvent(deps.db, uuid, ctx.requestId, UNSHELVE_SCHEDULE_EVENT, { ok: false, error });
    await updateInstance(deps.db, uuid, { taskState: null }, { taskState: [TaskState.unshelving] });
    await finishAction(deps.db, uuid, ctx.requestId);
  };
  if (instance.vmState !== VmState.shelvedOffloaded) {
    await back(`Unshelve attempted but the server is in vm_state ${instance.vmState}, not shelved or shelved_offloaded.`);
    return;
  }
  const group = await groupOf(deps.db, uuid);
  let dest;
  try {
    dest = await deps.scheduler.call('select_destinations', {
      instanceUuid: uuid, projectId: instance.projectId, userId: instance.userId, resources: claimedResources(instance, instance.flavor),
      ignoreHosts: [], availabilityZone: requestedZone(instance), extraSpecs: instance.flavor.extraSpecs, requestedHost: instance.requestSpec.requestedHost,
      ...(group ? { group: { policy: group.policy, memberHosts: (await liveMembers(deps.db, group.uuid)).filter((m) => m.uuid !== uuid && m.host).map((m) => m.host!), ...groupRules(group) } } : {}),
    }, ctx);
  } catch (err) {
    const noHost = err instanceof RemoteError && err.code === NO_VALID_HOST;
    const message = noHost ? (err as Error).message : `Scheduling the unshelve failed: ${(err as Error).message}`;
    deps.log.warn({ instance: uuid, err: message }, 'unshelve not scheduled; the server stays shelved_offloaded');
    await back(message);
    return;
  }
  const zone = zoneOf(dest.host, await hostZones(deps.db));
  if (!await updateInstance(deps.db, uuid, { host: dest.host, node: dest.node, availabilityZone: zone }, { taskState: [TaskState.unshelving] })) {
    // Recovered as lost while the scheduler worked: the claim goes back.
    await deps.placement.deleteAllocations(uuid, gctx).catch(() => undefined);
    await finishEvent(deps.db, uuid, ctx.requestId, UNSHELVE_SCHEDULE_EVENT, { ok: false, error: 'The server left unshelving while it was scheduled.' });
    return;
  }
  await finishEvent(deps.db, uuid, ctx.requestId, UNSHELVE_SCHEDULE_EVENT, { ok: true });
  await deps.agents.cast('unshelve_instance', { uuid }, ctx, { server: dest.host });
}
