// The conductor's part of a resize (Nova's migrate_server): ask the scheduler for a host that can hold the new
// flavor — its claim moves the server's current allocation to the migration's consumer and gives the server the new
// flavor's, in one Placement request (move-claim.ts) — record the destination, and cast the resize to the source
// host's agent.
import type { BusContext } from '#lib/bus/index.ts';
import { finishEvent } from '../db/actions-repo.ts';
import { updateInstance } from '../db/instances-repo.ts';
import { updateMigration } from '../db/migrations-repo.ts';
import { TaskState } from '../domain/vm-states.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { claimMoveDestination, loadMove } from './move-claim.ts';

const EVENT = 'conductor_migrate_server';

export async function migrateServer(deps: ConductorDeps, ctx: BusContext, a: { uuid: string; migrationUuid: string; allowSameHost: boolean; requestedHost?: string }): Promise<void> {
  const move = await loadMove(deps, a, TaskState.resizePrep);
  if (!move) return;
  const { instance, migration } = move;
  const dest = await claimMoveDestination(deps, ctx, instance, migration, {
    event: EVENT, what: 'resize', taskState: TaskState.resizePrep, flavor: migration.newFlavor,
    ignoreHosts: a.allowSameHost ? [] : [instance.host!],
    // A cold migration to an admin's named host (2.56): only that host, its filters still run.
    requestedHost: a.requestedHost,
  });
  if (!dest) return;
  await updateMigration(deps.db, a.migrationUuid, { status: 'migrating', destCompute: dest.host, destNode: dest.node });
  if (!await updateInstance(deps.db, a.uuid, { taskState: TaskState.resizeMigrating }, { taskState: [TaskState.resizePrep] })) {
    // Deleted meanwhile: the delete released the server's allocation; the migration's goes too.
    await deps.placement.deleteAllocations(a.migrationUuid, { globalRequestId: ctx.globalRequestId }).catch(() => undefined);
    await updateMigration(deps.db, a.migrationUuid, { status: 'error' });
    await finishEvent(deps.db, a.uuid, ctx.requestId, EVENT, { ok: false, error: 'The server was deleted while the resize was scheduled.' });
    return;
  }
  await finishEvent(deps.db, a.uuid, ctx.requestId, EVENT, { ok: true });
  await deps.agents.cast('resize_instance', { uuid: a.uuid, migrationUuid: a.migrationUuid }, ctx, { server: instance.host! });
}
