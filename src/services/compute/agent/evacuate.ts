// rebuild_instance with a migration (Nova's recreate): an evacuation, on the destination host the conductor claimed.
// The source host is down, so nothing is taken from it: the server is rebuilt here from its image — its ports bound
// to this host, its volumes' attachments swapped for ones connected here (Block Storage attachments), its config
// drive made again — and recorded on this host; a stopped server stays stopped. The migration goes pre-migrating →
// done; the source's agent finishes it when it comes back (evacuate-cleanup.ts). A failure leaves no guest here, gives
// the server back its allocation on the source (the destination's dropped), and puts it in ERROR with the fault and
// the migration `failed`, as Nova does; an admin may evacuate it again.
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { configDriveFor } from './config-drive.ts';
import { allocationBackToServer } from './live-migration.ts';
import { respawnFromImage } from './rebuild.ts';
import { disconnectVolumes, reconnectVolumes } from './shelve-volumes.ts';

export async function evacuateInstance(deps: AgentDeps, ctx: BusContext, a: { uuid: string; migrationUuid: string }): Promise<void> {
  let instance: Instance | undefined;
  try {
    await withEvent(deps, ctx, a.uuid, 'compute_rebuild_instance', async () => {
      instance = await deps.conductor.call('instance_get', { uuid: a.uuid }, ctx) ?? undefined;
      const migration = await deps.conductor.call('migration_get', { uuid: a.migrationUuid }, ctx);
      if (!instance || instance.taskState !== TaskState.rebuilding || migration?.migrationType !== 'evacuation') {
        throw new Error(`Instance ${a.uuid} is no longer being evacuated.`);
      }
      await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'pre-migrating' } }, ctx);
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
    });
  } catch (err) {
    const message = (err as Error).message;
    deps.log.warn({ instance: a.uuid, migration: a.migrationUuid, err: message }, 'evacuation failed');
    await deps.conductor.call('migration_update', { uuid: a.migrationUuid, patch: { status: 'failed' } }, ctx).catch(() => undefined);
    await deps.driver.destroy({ uuid: a.uuid }).catch(() => undefined);
    if (instance) {
      await allocationBackToServer(deps, ctx, instance, a.migrationUuid).catch((e: unknown) =>
        deps.log.warn({ instance: a.uuid, err: (e as Error).message }, 'cannot give the evacuated server its allocation back'));
    }
    await deps.conductor.call('instance_update', {
      uuid: a.uuid, expectedTaskState: [TaskState.rebuilding],
      patch: { vmState: VmState.error, taskState: null, fault: { code: 500, message: `Evacuation failed: ${message}`, created: new Date().toISOString() } },
    }, ctx).catch(() => undefined);
  }
  await deps.conductor.call('action_finish', { uuid: a.uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}
