// The conductor's part of a resize (Nova's migrate_server): ask the scheduler for a host that can hold the new
// flavor — its claim moves the server's current allocation to the migration's consumer and gives the server the new
// flavor's, in one Placement request — record the destination, and cast the resize to the source host's agent.
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

const EVENT = 'conductor_migrate_server';

export async function migrateServer(deps: ConductorDeps, ctx: BusContext, a: { uuid: string; migrationUuid: string; allowSameHost: boolean; requestedHost?: string }): Promise<void> {
  const [instance, migration] = [await getInstance(deps.db, a.uuid), await getMigration(deps.db, a.migrationUuid)];
  if (!instance || !migration || instance.taskState !== TaskState.resizePrep || !instance.host) return;
  await startEvent(deps.db, a.uuid, ctx.requestId, EVENT, null);
  const gctx = { globalRequestId: ctx.globalRequestId };
  const current = await deps.placement.getAllocations(a.uuid, gctx);
  const sourceAllocations = Object.fromEntries(Object.entries(current.allocations).map(([rp, v]) => [rp, { resources: v.resources }]));
  let dest;
  try {
    dest = await deps.scheduler.call('select_destinations', {
      instanceUuid: a.uuid, projectId: instance.projectId, userId: instance.userId, resources: claimedResources(instance, migration.newFlavor),
      ignoreHosts: a.allowSameHost ? [] : [instance.host], availabilityZone: requestedZone(instance), extraSpecs: migration.newFlavor.extraSpecs,
      // A cold migration to an admin's named host (2.56): only that host, its filters still run.
      ...(a.requestedHost ? { requestedHost: a.requestedHost } : {}),
      move: { migrationUuid: a.migrationUuid, sourceAllocations, consumerGeneration: current.consumer_generation ?? null },
    }, ctx);
  } catch (err) {
    // Nothing moved: the server stays as it was, the migration is in error and the fault is the action's.
    const message = err instanceof RemoteError && err.code === NO_VALID_HOST ? err.message : `Scheduling the resize failed: ${(err as Error).message}`;
    deps.log.warn({ instance: a.uuid, err: message }, 'resize not scheduled');
    await finishEvent(deps.db, a.uuid, ctx.requestId, EVENT, { ok: false, error: message });
    await updateMigration(deps.db, a.migrationUuid, { status: 'error' });
    await updateInstance(deps.db, a.uuid, { taskState: null }, { taskState: [TaskState.resizePrep] });
    await finishAction(deps.db, a.uuid, ctx.requestId);
    return;
  }
  await updateMigration(deps.db, a.migrationUuid, { status: 'migrating', destCompute: dest.host, destNode: dest.node });
  if (!await updateInstance(deps.db, a.uuid, { taskState: TaskState.resizeMigrating }, { taskState: [TaskState.resizePrep] })) {
    // Deleted meanwhile: the delete released the server's allocation; the migration's goes too.
    await deps.placement.deleteAllocations(a.migrationUuid, gctx).catch(() => undefined);
    await updateMigration(deps.db, a.migrationUuid, { status: 'error' });
    await finishEvent(deps.db, a.uuid, ctx.requestId, EVENT, { ok: false, error: 'The server was deleted while the resize was scheduled.' });
    return;
  }
  await finishEvent(deps.db, a.uuid, ctx.requestId, EVENT, { ok: true });
  await deps.agents.cast('resize_instance', { uuid: a.uuid, migrationUuid: a.migrationUuid }, ctx, { server: instance.host });
}
