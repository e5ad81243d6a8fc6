// The conductor's part of the boot flow: ask the scheduler for a host (an RPC call; the scheduler claims the resources
// in Placement), record the host on the server, and cast the build to that host's agent. A failed build comes back
// through buildFailed, which reschedules to another host until max_attempts, then puts the server in ERROR.
import type { BusContext } from '#lib/bus/index.ts';
import { RemoteError } from '#lib/errors.ts';
import { finishAction, finishEvent, startEvent } from '../db/actions-repo.ts';
import { getInstance, patchInstance } from '../db/instances-repo.ts';
import { groupRules, groupOf, liveMembers, placeGroupMember } from '../db/server-groups-repo.ts';
import { claimedResources } from '../domain/volume-backed.ts';
import type { Instance } from '../domain/instance.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { NO_VALID_HOST } from '../rpc/scheduler-rpc.ts';
import { hostZones } from '../db/aggregates-repo.ts';
import { zoneOf } from '../domain/zones.ts';
import type { ConductorDeps } from './conductor-deps.ts';

const EVENT = 'conductor_schedule_and_build_instances';

/** The zone the user asked for (servers created before the request spec kept it have it in their own field). */
export const requestedZone = (i: Instance): string | null =>
  i.requestSpec.availabilityZone !== undefined ? i.requestSpec.availabilityZone : i.availabilityZone;

async function fail(deps: ConductorDeps, ctx: BusContext, instance: Instance, code: number, message: string): Promise<void> {
  await deps.placement.deleteAllocations(instance.uuid, { globalRequestId: ctx.globalRequestId }).catch(() => undefined);
  await patchInstance(deps.db, instance.uuid, {
    vmState: VmState.error, taskState: null, host: null, node: null, fault: { code, message, created: new Date().toISOString() },
  });
  await finishAction(deps.db, instance.uuid, ctx.requestId);
}

export async function scheduleAndBuild(deps: ConductorDeps, ctx: BusContext, uuid: string): Promise<void> {
  const instance = await getInstance(deps.db, uuid);
  if (!instance || instance.taskState !== TaskState.scheduling) return; // deleted meanwhile
  await startEvent(deps.db, uuid, ctx.requestId, EVENT, null);
  const group = await groupOf(deps.db, uuid);
  let dest;
  try {
    dest = await deps.scheduler.call('select_destinations', {
      instanceUuid: uuid, projectId: instance.projectId, userId: instance.userId, resources: claimedResources(instance, instance.flavor),
      ignoreHosts: instance.requestSpec.triedHosts, availabilityZone: requestedZone(instance), extraSpecs: instance.flavor.extraSpecs,
      forcedHost: instance.requestSpec.forcedHost, forcedNode: instance.requestSpec.forcedNode,
      requestedHost: instance.requestSpec.requestedHost, requestedNode: instance.requestSpec.requestedNode,
      ...(group ? { group: { policy: group.policy, memberHosts: (await liveMembers(deps.db, group.uuid)).filter((m) => m.uuid !== uuid && m.host).map((m) => m.host!), ...groupRules(group) } } : {}),
    }, ctx);
  } catch (err) {
    const message = (err as Error).message;
    await finishEvent(deps.db, uuid, ctx.requestId, EVENT, { ok: false, error: message });
    const noHost = err instanceof RemoteError && err.code === NO_VALID_HOST;
    deps.log.warn({ instance: uuid, err: message }, noHost ? 'no valid host' : 'scheduling failed');
    await fail(deps, ctx, instance, 500, noHost ? message : `Scheduling failed: ${message}`);
    return;
  }
  // A hard group policy is re-checked as the host is written (Nova's late check): a member scheduled at the same
  // moment as another may have been given a host that breaks it; it gives the claim back and is scheduled again.
  // The server is in its host's zone from now on (Nova records it at this step too).
  const zone = zoneOf(dest.host, await hostZones(deps.db));
  if (instance.availabilityZone !== zone) await patchInstance(deps.db, uuid, { availabilityZone: zone }, { taskState: [TaskState.scheduling] });
  const hard = group && (group.policy === 'affinity' || group.policy === 'anti-affinity');
  const outcome = hard
    ? await placeGroupMember(deps.db, deps.dialect, group.uuid, uuid, dest.host, dest.node, group.policy, groupRules(group).maxServerPerHost)
    : ((await patchInstance(deps.db, uuid, { host: dest.host, node: dest.node }, { taskState: [TaskState.scheduling] })) ? 'placed' : 'gone');
  if (outcome === 'violates') {
    await deps.placement.deleteAllocations(uuid, { globalRequestId: ctx.globalRequestId });
    await finishEvent(deps.db, uuid, ctx.requestId, EVENT, { ok: false, error: `Host ${dest.host} would break the server group's ${group!.policy} policy; rescheduling.` });
    const spec = { ...instance.requestSpec, attempts: instance.requestSpec.attempts + 1, triedHosts: [...instance.requestSpec.triedHosts, dest.host] };
    if (spec.attempts >= deps.maxAttempts) {
      await fail(deps, ctx, instance, 500, `Exceeded maximum number of retries placing instance ${uuid} in its server group (${group!.policy}).`);
      return;
    }
    if (await patchInstance(deps.db, uuid, { requestSpec: spec }, { taskState: [TaskState.scheduling] })) await scheduleAndBuild(deps, ctx, uuid);
    return;
  }
  if (outcome === 'gone') {
    // Deleted while the scheduler worked: give the claim back.
    await deps.placement.deleteAllocations(uuid, { globalRequestId: ctx.globalRequestId }).catch(() => undefined);
    await finishEvent(deps.db, uuid, ctx.requestId, EVENT, { ok: false, error: 'The server was deleted while it was scheduled.' });
    return;
  }
  await finishEvent(deps.db, uuid, ctx.requestId, EVENT, { ok: true });
  await deps.agents.cast('build_and_run_instance', { uuid }, ctx, { server: dest.host });
}

export async function buildFailed(deps: ConductorDeps, ctx: BusContext, a: { uuid: string; host: string; error: string; reschedule: boolean }): Promise<void> {
  const instance = await getInstance(deps.db, a.uuid);
  if (!instance) return;
  if (instance.taskState === TaskState.deleting) {
    // Deleted during the build: the delete's own terminate (or the API) finishes the job.
    await deps.placement.deleteAllocations(a.uuid, { globalRequestId: ctx.globalRequestId }).catch(() => undefined);
    return;
  }
  const spec = { ...instance.requestSpec, attempts: instance.requestSpec.attempts + 1, triedHosts: [...instance.requestSpec.triedHosts, a.host] };
  if (!a.reschedule || spec.attempts >= deps.maxAttempts) {
    const message = a.reschedule ? `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${a.uuid}. Last error: ${a.error}` : a.error;
    await patchInstance(deps.db, a.uuid, { requestSpec: spec });
    await fail(deps, ctx, instance, 500, message);
    return;
  }
  deps.log.info({ instance: a.uuid, failedHost: a.host, attempt: spec.attempts + 1 }, 'rescheduling a failed build');
  await deps.placement.deleteAllocations(a.uuid, { globalRequestId: ctx.globalRequestId });
  const back = await patchInstance(deps.db, a.uuid, { requestSpec: spec, host: null, node: null, vmState: VmState.building, taskState: TaskState.scheduling });
  if (back) await scheduleAndBuild(deps, ctx, a.uuid);
}
