// Live migration across the agents, Nova's flow: the source drives it (live_migration). It asks the destination to
// get ready (pre_live_migration: ports bound there, the driver's incoming guest), moves the running guest with its
// driver, then has the destination take it over (post_live_migration_at_destination) and records the server there;
// the migration's allocation (the source's resources) is dropped. Anything failing before the guest left the source
// rolls back: the destination drops its incoming guest, the ports go back to the source, the allocation returns to
// the server, the migration ends `failed` and the server stays ACTIVE here, as Nova's _rollback_live_migration.
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { fetchImage, guestSpec } from './build.ts';
import { bindPorts } from './networking.ts';

interface LiveArgs { uuid: string; migrationUuid: string }

async function loadMigrating(deps: AgentDeps, ctx: BusContext, a: LiveArgs): Promise<Instance> {
  const instance = await deps.conductor.call('instance_get', { uuid: a.uuid }, ctx);
  if (!instance || instance.taskState !== TaskState.migrating) throw new Error(`Instance ${a.uuid} is not being live migrated.`);
  return instance;
}

/** The server's allocation back from the migration's consumer (it held the source's resources), the destination's dropped. */
export async function allocationBackToServer(deps: AgentDeps, ctx: BusContext, instance: Instance, migrationUuid: string): Promise<void> {
  const gctx = { globalRequestId: ctx.globalRequestId };
  const [own, held] = [await deps.placement.getAllocations(instance.uuid, gctx), await deps.placement.getAllocations(migrationUuid, gctx)];
  if (!Object.keys(held.allocations).length) return;
  const owner = { project_id: instance.projectId, user_id: instance.userId };
  await deps.placement.postAllocations({
    [instance.uuid]: {
      ...owner, consumer_type: 'INSTANCE', consumer_generation: own.consumer_generation ?? null,
      allocations: Object.fromEntries(Object.entries(held.allocations).map(([rp, v]) => [rp, { resources: v.resources }])),
    },
    [migrationUuid]: { ...owner, consumer_type: 'MIGRATION', consumer_generation: held.consumer_generation ?? null, allocations: {} },
  }, gctx);
}

/** Source host: checks, prepares the destination, moves the guest, hands over. */
export async function liveMigration(deps: AgentDeps, ctx: BusContext, a: LiveArgs): Promise<void> {
  const migrate = deps.driver.liveMigrate?.bind(deps.driver);
  let left = false;
  let prepared = false;
  let instance: Instance | undefined;
  let destHost = '';
  try {
    await withEvent(deps, ctx, a.uuid, 'compute_live_migration', async () => {
      instance = await loadMigrating(deps, ctx, a);
      const migration = await deps.conductor.call('migration_get', { uuid: a.migrationUuid }, ctx);
      if (!migration?.destCompute) throw new Error(`Migration ${a.migrationUuid} has no destination.`);
      destHost = migration.destCompute;
      // Nova's check_can_live_migrate_*: refused before anything moves.
      if (!migrate) throw new Error(`The ${deps.driver.type} driver cannot live migrate servers.`);
      const volumes = (await deps.conductor.call('block_device_mappings', { uuid: a.uuid }, ctx)).filter((m) => m.volumeId);
      if (volumes.length) throw new Error(`Instance ${a.uuid} has volumes attached; this cloud live migrates servers without volumes only.`);
      await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'preparing' } }, ctx);
      await deps.agents.call('pre_live_migration', a, ctx, { server: destHost, timeoutMs: 120_000 });
      prepared = true;
      await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'running' } }, ctx);
      await migrate({ uuid: a.uuid, destHost });
      left = true;
      await deps.agents.call('post_live_migration_at_destination', a, ctx, { server: destHost, timeoutMs: 120_000 });
      await deps.placement.deleteAllocations(a.migrationUuid, { globalRequestId: ctx.globalRequestId });
      await deps.conductor.call('instance_update', {
        uuid: a.uuid, expectedTaskState: [TaskState.migrating],
        patch: { host: destHost, node: migration.destNode, taskState: null, powerState: PowerState.running },
      }, ctx);
      await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'completed' } }, ctx);
    });
  } catch (err) {
    const message = (err as Error).message;
    deps.log.warn({ instance: a.uuid, migration: a.migrationUuid, err: message }, 'live migration failed');
    await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: left ? 'error' : 'failed' } }, ctx).catch(() => undefined);
    if (left) {
      // The guest already left this host: Nova puts the server in ERROR then, nothing to roll back to.
      await deps.conductor.call('instance_update', {
        uuid: a.uuid, patch: { vmState: VmState.error, taskState: null, fault: { code: 500, message, created: new Date().toISOString() } },
      }, ctx).catch(() => undefined);
    } else {
      await rollback(deps, ctx, a, instance, prepared ? destHost : undefined).catch((e: unknown) =>
        deps.log.warn({ instance: a.uuid, err: (e as Error).message }, 'live migration rollback incomplete'));
      await deps.conductor.call('instance_update', { uuid: a.uuid, patch: { taskState: null }, expectedTaskState: [TaskState.migrating] }, ctx).catch(() => undefined);
    }
  }
  await deps.conductor.call('action_finish', { uuid: a.uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}

async function rollback(deps: AgentDeps, ctx: BusContext, a: LiveArgs, instance: Instance | undefined, destHost: string | undefined): Promise<void> {
  if (destHost) await deps.agents.call('rollback_live_migration_at_destination', a, ctx, { server: destHost, timeoutMs: 60_000 });
  // The server went (deleted meanwhile): what the migration holds goes too.
  if (!instance) {
    await deps.placement.deleteAllocations(a.migrationUuid, { globalRequestId: ctx.globalRequestId });
    return;
  }
  if (destHost && instance.networkInfo.length) await bindPorts(await deps.network(), ctx, instance.networkInfo, deps.host);
  await allocationBackToServer(deps, ctx, instance, a.migrationUuid);
}

/** Destination host: the ports bound here and the driver's incoming guest ready. */
export async function preLiveMigration(deps: AgentDeps, ctx: BusContext, a: LiveArgs): Promise<void> {
  await withEvent(deps, ctx, a.uuid, 'compute_pre_live_migration', async () => {
    const instance = await loadMigrating(deps, ctx, a);
    if (!deps.driver.preLiveMigration) throw new Error(`The ${deps.driver.type} driver cannot receive live migrations.`);
    const image = await fetchImage(deps, ctx, instance);
    const nics = await bindPorts(await deps.network(), ctx, instance.networkInfo, deps.host);
    await deps.driver.preLiveMigration({ guest: guestSpec(instance, image, nics) });
  });
}

/** Destination host, after the move: the guest runs here. */
export async function postLiveMigrationAtDestination(deps: AgentDeps, ctx: BusContext, a: LiveArgs): Promise<void> {
  await withEvent(deps, ctx, a.uuid, 'compute_post_live_migration_at_destination', async () => {
    await loadMigrating(deps, ctx, a);
    await deps.driver.postLiveMigrationAtDestination?.({ uuid: a.uuid });
  });
}

/** Destination host, when the migration failed before the guest left the source: the incoming guest goes. */
export async function rollbackLiveMigrationAtDestination(deps: AgentDeps, ctx: BusContext, a: LiveArgs): Promise<void> {
  await withEvent(deps, ctx, a.uuid, 'compute_rollback_live_migration_at_destination', async () => {
    await deps.driver.destroy({ uuid: a.uuid });
  });
}
