// The conductor's part of an evacuation (Nova's rebuild_instance with recreate): the scheduler picks a destination
// other than the dead source — or checks the admin's named host with its filters, or takes a forced one without them
// — and its claim moves the server's allocation on the source to the migration's consumer while giving the server
// the destination's (move-claim.ts). The source's share stays with the migration until the source's agent comes back
// and cleans up (agent/evacuate-cleanup.ts), as Nova keeps it until then. The destination's agent rebuilds the server.
import type { BusContext } from '#lib/bus/index.ts';
import { finishEvent } from '../db/actions-repo.ts';
import { updateMigration } from '../db/migrations-repo.ts';
import { TaskState } from '../domain/vm-states.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { claimMoveDestination, loadMove } from './move-claim.ts';

// Nova's conductor records rebuilds and evacuations alike under this event.
const EVENT = 'rebuild_server';

export async function evacuateInstance(deps: ConductorDeps, ctx: BusContext, a: { uuid: string; migrationUuid: string; requestedHost?: string; forcedHost?: string }): Promise<void> {
  const move = await loadMove(deps, a, TaskState.rebuilding);
  if (!move || move.migration.migrationType !== 'evacuation') return;
  const { instance, migration } = move;
  const dest = await claimMoveDestination(deps, ctx, instance, migration, {
    event: EVENT, what: 'evacuation', taskState: TaskState.rebuilding, flavor: instance.flavor, ignoreHosts: [instance.host!],
    requestedHost: a.requestedHost, forcedHost: a.forcedHost, errorOnNoHost: true,
  });
  if (!dest) return;
  await updateMigration(deps.db, a.migrationUuid, { destCompute: dest.host, destNode: dest.node });
  await finishEvent(deps.db, a.uuid, ctx.requestId, EVENT, { ok: true });
  await deps.agents.cast('rebuild_instance', { uuid: a.uuid, migrationUuid: a.migrationUuid }, ctx, { server: dest.host });
}
