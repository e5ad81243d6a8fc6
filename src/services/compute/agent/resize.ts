// A resize across the agents, Nova's flow: the source powers the guest off and keeps its disks aside
// (resize_instance, migrate_disk_and_power_off) and hands over to the destination, which builds the guest from those
// disks with the new flavor (finish_resize) and leaves the server in VERIFY_RESIZE. Confirm drops the kept disks and
// the migration's allocation; revert removes the resized guest on the destination, gives the allocation back to the
// server, and the source brings the old guest back from its kept disks (finish_revert_resize). A stopped server stays
// stopped throughout.
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import type { Migration } from '../domain/migration.ts';
import type { DiskOffer } from '../domain/disk-offer.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { fetchImage, guestSpec, imageSource } from './build.ts';
import { bindPorts } from './networking.ts';

interface MoveArgs { uuid: string; migrationUuid: string }

async function load(deps: AgentDeps, ctx: BusContext, a: MoveArgs, taskStates: (string | null)[]): Promise<{ instance: Instance; migration: Migration }> {
  const [instance, migration] = [await deps.conductor.call('instance_get', { uuid: a.uuid }, ctx), await deps.conductor.call('migration_get', { uuid: a.migrationUuid }, ctx)];
  if (!instance || !migration) throw new Error(`Instance ${a.uuid} or its migration ${a.migrationUuid} is gone.`);
  if (!taskStates.includes(instance.taskState)) throw new Error(`Instance ${a.uuid} is in task state ${instance.taskState}, not ${taskStates.join(' or ')}.`);
  return { instance, migration };
}

/** Runs one step; a failure puts the server in ERROR with the fault and the migration in error, as Nova does. */
async function step(deps: AgentDeps, ctx: BusContext, a: MoveArgs, event: string, finishes: boolean, work: () => Promise<void>): Promise<void> {
  try {
    await withEvent(deps, ctx, a.uuid, event, work);
  } catch (err) {
    const message = (err as Error).message;
    deps.log.warn({ instance: a.uuid, migration: a.migrationUuid, err: message }, `${event} failed`);
    await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'error' } }, ctx).catch(() => undefined);
    await deps.conductor.call('instance_update', {
      uuid: a.uuid, patch: { vmState: VmState.error, taskState: null, fault: { code: 500, message, created: new Date().toISOString() } },
    }, ctx).catch(() => undefined);
    finishes = true;
  }
  if (finishes) await deps.conductor.call('action_finish', { uuid: a.uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}

/** The server's guest on this host with `flavor`, from the disks its resize kept: the new guest, or (revert) the old one back. */
async function guestFromKeptDisks(deps: AgentDeps, ctx: BusContext, instance: Instance, flavor: Instance['flavor'], stopped: boolean, revert: boolean, offer?: DiskOffer): Promise<void> {
  const image = await fetchImage(deps, ctx, instance);
  const nics = await bindPorts(await deps.network(), ctx, instance.networkInfo, deps.host);
  const opts = { guest: guestSpec({ ...instance, flavor }, image, nics), powerOn: !stopped };
  // Disks from another host come with the image their root disk is an overlay on, for this host's cache.
  if (revert) await deps.driver.finishRevertMigration(opts);
  else await deps.driver.finishMigration({ ...opts, offer, image: offer && image ? imageSource(deps, ctx, image) : undefined });
}

const stoppedServer = (i: Instance) => i.vmState === VmState.stopped || (i.vmState === VmState.resized && i.powerState === PowerState.shutdown);

export async function resizeInstance(deps: AgentDeps, ctx: BusContext, a: MoveArgs): Promise<void> {
  await step(deps, ctx, a, 'compute_resize_instance', false, async () => {
    const { migration } = await load(deps, ctx, a, [TaskState.resizeMigrating]);
    const offer = await deps.driver.migrateDiskAndPowerOff({ uuid: a.uuid, destHost: migration.destCompute!, rootGb: migration.newFlavor.disk });
    await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'post-migrating' } }, ctx);
    await deps.conductor.call('instance_update', { uuid: a.uuid, patch: { taskState: TaskState.resizeMigrated }, expectedTaskState: [TaskState.resizeMigrating] }, ctx);
    await deps.agents.cast('finish_resize', { ...a, ...(offer ? { offer } : {}) }, ctx, { server: migration.destCompute! });
  });
}

export async function finishResize(deps: AgentDeps, ctx: BusContext, a: MoveArgs & { offer?: DiskOffer }): Promise<void> {
  await step(deps, ctx, a, 'compute_finish_resize', true, async () => {
    const { instance, migration } = await load(deps, ctx, a, [TaskState.resizeMigrated]);
    await deps.conductor.call('instance_update', { uuid: a.uuid, patch: { taskState: TaskState.resizeFinish }, expectedTaskState: [TaskState.resizeMigrated] }, ctx);
    const stopped = stoppedServer(instance);
    await guestFromKeptDisks(deps, ctx, instance, migration.newFlavor, stopped, false, a.offer);
    await deps.conductor.call('instance_update', {
      uuid: a.uuid, expectedTaskState: [TaskState.resizeFinish],
      patch: { flavor: migration.newFlavor, host: deps.host, node: migration.destNode, vmState: VmState.resized, taskState: null,
        powerState: stopped ? PowerState.shutdown : PowerState.running },
    }, ctx);
    await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'finished' } }, ctx);
  });
}

export async function confirmResize(deps: AgentDeps, ctx: BusContext, a: MoveArgs): Promise<void> {
  await step(deps, ctx, a, 'compute_confirm_resize', true, async () => {
    const { instance, migration } = await load(deps, ctx, a, [null]);
    // On the same host the guest here is the resized one; either way the disks the resize kept aside go.
    if (migration.sourceCompute !== migration.destCompute) await deps.driver.destroy({ uuid: a.uuid });
    await deps.driver.confirmMigration({ uuid: a.uuid });
    await deps.placement.deleteAllocations(a.migrationUuid, { globalRequestId: ctx.globalRequestId });
    await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'confirmed' } }, ctx);
    await deps.conductor.call('instance_update', {
      uuid: a.uuid, expectedTaskState: [null], patch: { vmState: stoppedServer(instance) ? VmState.stopped : VmState.active },
    }, ctx);
  });
}

export async function revertResize(deps: AgentDeps, ctx: BusContext, a: MoveArgs): Promise<void> {
  await step(deps, ctx, a, 'compute_revert_resize', false, async () => {
    const { instance, migration } = await load(deps, ctx, a, [TaskState.resizeReverting]);
    await deps.driver.destroy({ uuid: a.uuid });
    // The server's allocation comes back from the migration's consumer, the new flavor's is dropped: one request.
    const gctx = { globalRequestId: ctx.globalRequestId };
    const [own, held] = [await deps.placement.getAllocations(a.uuid, gctx), await deps.placement.getAllocations(a.migrationUuid, gctx)];
    if (Object.keys(held.allocations).length) {
      const owner = { project_id: instance.projectId, user_id: instance.userId };
      await deps.placement.postAllocations({
        [a.uuid]: {
          ...owner, consumer_type: 'INSTANCE', consumer_generation: own.consumer_generation ?? null,
          allocations: Object.fromEntries(Object.entries(held.allocations).map(([rp, v]) => [rp, { resources: v.resources }])),
        },
        [a.migrationUuid]: { ...owner, consumer_type: 'MIGRATION', consumer_generation: held.consumer_generation ?? null, allocations: {} },
      }, gctx);
    }
    await deps.agents.cast('finish_revert_resize', a, ctx, { server: migration.sourceCompute! });
  });
}

export async function finishRevertResize(deps: AgentDeps, ctx: BusContext, a: MoveArgs): Promise<void> {
  await step(deps, ctx, a, 'compute_finish_revert_resize', true, async () => {
    const { instance, migration } = await load(deps, ctx, a, [TaskState.resizeReverting]);
    const stopped = stoppedServer(instance);
    await guestFromKeptDisks(deps, ctx, instance, migration.oldFlavor, stopped, true);
    await deps.conductor.call('instance_update', {
      uuid: a.uuid, expectedTaskState: [TaskState.resizeReverting],
      patch: { flavor: migration.oldFlavor, host: deps.host, node: migration.sourceNode, vmState: stopped ? VmState.stopped : VmState.active, taskState: null,
        powerState: stopped ? PowerState.shutdown : PowerState.running },
    }, ctx);
    await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'reverted' } }, ctx);
  });
}
