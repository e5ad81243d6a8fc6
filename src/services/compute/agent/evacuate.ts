// rebuild_instance with a migration (Nova's recreate): an evacuation, on the destination host the conductor claimed.
// The source host is down, so nothing is taken from it: the server is rebuilt here from its image — its ports bound
// to this host, its volumes' attachments swapped for ones connected here (Block Storage attachments), its config
// drive made again — and recorded on this host; a stopped server stays stopped. The migration goes pre-migrating →
// done; the source's agent finishes it when it comes back (evacuate-cleanup.ts). A failure leaves no guest here, gives
// the server back its allocation on the source (the destination's dropped), and puts it in ERROR with the fault and
// the migration `failed`, as Nova does; an admin may evacuate it again. An evacuation this host's restart cut off, or
// whose cast it missed while down, is undone the same way when it starts again (recoverEvacuationsTo).
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import type { HeldInstance } from './action-notifications.ts';
import { configDriveFor } from './config-drive.ts';
import { allocationBackToServer } from './live-migration.ts';
import { respawnFromImage } from './rebuild.ts';
import { disconnectVolumes, reconnectVolumes } from './shelve-volumes.ts';

export async function evacuateInstance(deps: AgentDeps, ctx: BusContext, a: { uuid: string; migrationUuid: string }): Promise<void> {
  let instance: Instance | undefined;
  // Read once, before the event: the rebuild's start notification announces this copy, its end the moved server.
  const held: HeldInstance = {};
  try {
    instance = await deps.conductor.call('instance_get', { uuid: a.uuid }, ctx) ?? undefined;
    held.instance = instance;
    await withEvent(deps, ctx, a.uuid, 'compute_rebuild_instance', async () => {
      const migration = await deps.conductor.call('migration_get', { uuid: a.migrationUuid }, ctx);
      if (!instance || instance.taskState !== TaskState.rebuilding || migration?.migrationType !== 'evacuation') {
        throw new Error(`Instance ${a.uuid} is no longer being evacuated.`);
      }
      // Only from accepted: a conductor that found the cast lost has errored it (conductor/evacuate-recover.ts).
      if (!await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'pre-migrating' }, expectedStatus: ['accepted'] }, ctx)) {
        throw new Error(`Evacuation ${a.migrationUuid} was given up before this host took it.`);
      }
      // The old attachments are connected to the dead host: each is replaced by one reserved for the server, then
      // connected with this host's connector.
      await disconnectVolumes(deps, ctx, a.uuid);
      const blockDevices = await reconnectVolumes(deps, ctx, a.uuid);
      const stopped = await respawnFromImage(deps, ctx, instance, { blockDevices, configDrive: await configDriveFor(deps, ctx, instance) });
      const moved = await deps.conductor.call('instance_update', {
        uuid: a.uuid, expectedTaskState: [TaskState.rebuilding],
        patch: { host: deps.host, node: migration.destNode, vmState: stopped ? VmState.stopped : VmState.active,
          powerState: stopped ? PowerState.shutdown : PowerState.running, taskState: null, launchedAt: new Date().toISOString(), fault: null },
      }, ctx);
      if (!moved) throw new Error(`Instance ${a.uuid} left rebuilding during the evacuation.`);
      await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'done' } }, ctx);
      held.instance = moved;
    }, { held });
  } catch (err) {
    deps.log.warn({ instance: a.uuid, migration: a.migrationUuid, err: (err as Error).message }, 'evacuation failed');
    await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'failed' }, expectedStatus: ['accepted', 'pre-migrating'] }, ctx).catch(() => undefined);
    await undoEvacuation(deps, ctx, a, instance, `Evacuation failed: ${(err as Error).message}`);
  }
  await deps.conductor.call('action_finish', { uuid: a.uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}

/** No guest of it left here, the server's allocation on the source given back, and the server in ERROR with `fault`. */
async function undoEvacuation(deps: AgentDeps, ctx: BusContext, a: { uuid: string; migrationUuid: string }, instance: Instance | undefined, fault: string): Promise<void> {
  await deps.driver.destroy({ uuid: a.uuid }).catch(() => undefined);
  if (instance) {
    await allocationBackToServer(deps, ctx, instance, a.migrationUuid).catch((e: unknown) =>
      deps.log.warn({ instance: a.uuid, err: (e as Error).message }, 'cannot give the evacuated server its allocation back'));
  }
  await deps.conductor.call('instance_update', {
    uuid: a.uuid, expectedTaskState: [TaskState.rebuilding],
    patch: { vmState: VmState.error, taskState: null, fault: { code: 500, message: fault, created: new Date().toISOString() } },
  }, ctx).catch(() => undefined);
}

/**
 * At start, as Nova's _init_instance errors a server left rebuilding on its host: an evacuation to this host that a
 * restart cut off (pre-migrating), or whose cast reached this host while it was down (accepted, its destination
 * claimed), and whose server is still rebuilding on its source, is undone as a failed one; an admin may evacuate
 * the server again. The number undone.
 */
export async function recoverEvacuationsTo(deps: AgentDeps, ctx: BusContext): Promise<number> {
  let undone = 0;
  for (const m of await deps.conductor.call('evacuations_to', { host: deps.host }, ctx)) {
    const instance = await deps.conductor.call('instance_get', { uuid: m.instanceUuid }, ctx);
    if (!instance || instance.taskState !== TaskState.rebuilding || instance.host !== m.sourceCompute) continue;
    if (!await deps.conductor.call('migration_update', { uuid: m.uuid, patch: { status: 'failed' }, expectedStatus: [m.status] }, ctx)) continue;
    await undoEvacuation(deps, ctx, { uuid: m.instanceUuid, migrationUuid: m.uuid }, instance, 'The evacuation was interrupted by a restart of its destination\'s compute agent.');
    deps.log.warn({ instance: m.instanceUuid, migration: m.uuid, status: m.status }, 'undid an evacuation to this host cut off by a restart');
    undone += 1;
  }
  return undone;
}
