// The conductor's part of a live migration (Nova's LiveMigrationTask): the scheduler picks a destination other than
// the source, or checks the admin's named one with its filters; its claim moves the server's allocation on the
// source to the migration's consumer and gives the server the destination's, in one Placement request. Then the
// migration is queued and the source's agent drives the move (agent/live-migration.ts).
import type { BusContext } from '#lib/bus/index.ts';
import { RemoteError } from '#lib/errors.ts';
import { finishAction, finishEvent, startEvent } from '../db/actions-repo.ts';
import { getInstance, updateInstance } from '../db/instances-repo.ts';
import { getMigration, updateMigration } from '../db/migrations-repo.ts';
import { claimedResources } from '../domain/volume-backed.ts';
import { TaskState } from '../domain/vm-states.ts';
import { NO_VALID_HOST } from '../rpc/scheduler-rpc.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { requestedZone } from './build-instances.ts';

const EVENT = 'conductor_live_migrate_instance';

export async function liveMigrateInstance(deps: ConductorDeps, ctx: BusContext, a: { uuid: string; migrationUuid: string; requestedHost?: string }): Promise<void> {
  const [instance, migration] = [await getInstance(deps.db, a.uuid), await getMigration(deps.db, a.migrationUuid)];
  if (!instance || !migration || instance.taskState !== TaskState.migrating || !instance.host) return;
  await startEvent(deps.db, a.uuid, ctx.requestId, EVENT, null);
  const gctx = { globalRequestId: ctx.globalRequestId };
  const current = await deps.placement.getAllocations(a.uuid, gctx);
  const sourceAllocations = Object.fromEntries(Object.entries(current.allocations).map(([rp, v]) => [rp, { resources: v.resources }]));
  let dest;
  try {
    dest = await deps.scheduler.call('select_destinations', {
      instanceUuid: a.uuid, projectId: instance.projectId, userId: instance.userId, resources: claimedResources(instance, instance.flavor),
      ignoreHosts: [instance.host], availabilityZone: requestedZone(instance), extraSpecs: instance.flavor.extraSpecs,
      ...(a.requestedHost ? { requestedHost: a.requestedHost } : {}),
      move: { migrationUuid: a.migrationUuid, sourceAllocations, consumerGeneration: current.consumer_generation ?? null },
    }, ctx);
  } catch (err) {
    // Nothing moved: the server stays ACTIVE where it is; Nova leaves such a migration in error.
    const message = err instanceof RemoteError && err.code === NO_VALID_HOST ? err.message : `Scheduling the live migration failed: ${(err as Error).message}`;
    deps.log.warn({ instance: a.uuid, err: message }, 'live migration not scheduled');
    await finishEvent(deps.db, a.uuid, ctx.requestId, EVENT, { ok: false, error: message });
    await updateMigration(deps.db, a.migrationUuid, { status: 'error' });
    await updateInstance(deps.db, a.uuid, { taskState: null }, { taskState: [TaskState.migrating] });
    await finishAction(deps.db, a.uuid, ctx.requestId);
    return;
  }
  await updateMigration(deps.db, a.migrationUuid, { status: 'queued', destCompute: dest.host, destNode: dest.node });
  await finishEvent(deps.db, a.uuid, ctx.requestId, EVENT, { ok: true });
  await deps.agents.cast('live_migration', { uuid: a.uuid, migrationUuid: a.migrationUuid }, ctx, { server: instance.host });
}
