// The conductor's part of a live migration (Nova's LiveMigrationTask): the scheduler picks a destination other than
// the source, or checks the admin's named one with its filters; its claim moves the server's allocation on the
// source to the migration's consumer and gives the server the destination's, in one Placement request
// (move-claim.ts). Then the migration is queued and the source's agent drives the move (agent/live-migration.ts).
import type { BusContext } from '#lib/bus/index.ts';
import { finishEvent } from '../db/actions-repo.ts';
import { updateMigration } from '../db/migrations-repo.ts';
import { TaskState } from '../domain/vm-states.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { claimMoveDestination, loadMove } from './move-claim.ts';

const EVENT = 'conductor_live_migrate_instance';

export async function liveMigrateInstance(deps: ConductorDeps, ctx: BusContext, a: { uuid: string; migrationUuid: string; requestedHost?: string }): Promise<void> {
  const move = await loadMove(deps, a, TaskState.migrating);
  if (!move) return;
  const { instance, migration } = move;
  const dest = await claimMoveDestination(deps, ctx, instance, migration, {
    event: EVENT, what: 'live migration', taskState: TaskState.migrating, flavor: instance.flavor, ignoreHosts: [instance.host!], requestedHost: a.requestedHost,
  });
  if (!dest) return;
  await updateMigration(deps.db, a.migrationUuid, { status: 'queued', destCompute: dest.host, destNode: dest.node });
  await finishEvent(deps.db, a.uuid, ctx.requestId, EVENT, { ok: true });
  await deps.agents.cast('live_migration', { uuid: a.uuid, migrationUuid: a.migrationUuid }, ctx, { server: instance.host! });
}
