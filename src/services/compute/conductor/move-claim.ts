// The opening every move of a server shares (resize, cold and live migration, evacuate): the conductor's action
// event starts, the server's current allocation is read, and one select_destinations both picks the destination and,
// in the same Placement request, moves that allocation to the migration's consumer while giving the server the
// destination's. When no host is found nothing has moved: the migration ends in error, the server's task state is
// cleared (an evacuation's server goes to ERROR with the fault too, as Nova's rebuild_server does) and the event
// carries the reason.
import type { BusContext } from '#lib/bus/index.ts';
import { RemoteError } from '#lib/errors.ts';
import { finishAction, finishEvent, startEvent } from '../db/actions-repo.ts';
import { getInstance, updateInstance } from '../db/instances-repo.ts';
import { getMigration, updateMigration } from '../db/migrations-repo.ts';
import type { FlavorSnapshot, Instance } from '../domain/instance.ts';
import type { Migration } from '../domain/migration.ts';
import { claimedResources } from '../domain/volume-backed.ts';
import { VmState } from '../domain/vm-states.ts';
import { NO_VALID_HOST } from '../rpc/scheduler-rpc.ts';
import type { Destination } from '../rpc/scheduler-rpc.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { requestedZone } from './build-instances.ts';

export interface MoveRequest {
  /** The conductor's action event (e.g. conductor_migrate_server). */
  event: string;
  /** What the move is called in messages: "resize", "live migration", "evacuation". */
  what: string;
  /** The task state the server holds while it is scheduled; cleared when no host is found. */
  taskState: string;
  /** The flavor the destination must hold. */
  flavor: FlavorSnapshot;
  ignoreHosts: string[];
  /** An admin's named host: only it, the filters still run. */
  requestedHost?: string;
  /** An admin's forced host (evacuate's `force`): only it, no filters; Placement still claims. */
  forcedHost?: string;
  /** When no host is found, the server also goes to ERROR with the reason as its fault. */
  errorOnNoHost?: boolean;
}

/** The server and its migration when the server is still in `taskState` on a host; undefined when the move is moot. */
export async function loadMove(deps: ConductorDeps, a: { uuid: string; migrationUuid: string }, taskState: string): Promise<{ instance: Instance; migration: Migration } | undefined> {
  const [instance, migration] = [await getInstance(deps.db, a.uuid), await getMigration(deps.db, a.migrationUuid)];
  if (!instance || !migration || instance.taskState !== taskState || !instance.host) return undefined;
  return { instance, migration };
}

/** Starts the event and claims a destination; undefined (all recorded) when none could be claimed. */
export async function claimMoveDestination(deps: ConductorDeps, ctx: BusContext, instance: Instance, migration: Migration, req: MoveRequest): Promise<Destination | undefined> {
  await startEvent(deps.db, instance.uuid, ctx.requestId, req.event, null);
  const current = await deps.placement.getAllocations(instance.uuid, { globalRequestId: ctx.globalRequestId });
  const sourceAllocations = Object.fromEntries(Object.entries(current.allocations).map(([rp, v]) => [rp, { resources: v.resources }]));
  try {
    return await deps.scheduler.call('select_destinations', {
      instanceUuid: instance.uuid, projectId: instance.projectId, userId: instance.userId, resources: claimedResources(instance, req.flavor),
      ignoreHosts: req.ignoreHosts, availabilityZone: requestedZone(instance), extraSpecs: req.flavor.extraSpecs,
      ...(req.requestedHost ? { requestedHost: req.requestedHost } : {}),
      ...(req.forcedHost ? { forcedHost: req.forcedHost } : {}),
      move: { migrationUuid: migration.uuid, sourceAllocations, consumerGeneration: current.consumer_generation ?? null },
    }, ctx);
  } catch (err) {
    // Nothing moved: the server stays where it was; Nova leaves such a migration in error.
    const message = err instanceof RemoteError && err.code === NO_VALID_HOST ? err.message : `Scheduling the ${req.what} failed: ${(err as Error).message}`;
    deps.log.warn({ instance: instance.uuid, err: message }, `${req.what} not scheduled`);
    await finishEvent(deps.db, instance.uuid, ctx.requestId, req.event, { ok: false, error: message });
    await updateMigration(deps.db, migration.uuid, { status: 'error' });
    const fault = { code: 400, message, created: new Date().toISOString() };
    await updateInstance(deps.db, instance.uuid, { taskState: null, ...(req.errorOnNoHost ? { vmState: VmState.error, fault } : {}) }, { taskState: [req.taskState] });
    await finishAction(deps.db, instance.uuid, ctx.requestId);
    return undefined;
  }
}
