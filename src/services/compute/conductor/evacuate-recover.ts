// Evacuations whose cast was lost with a stopped process (the in-process bus drops a cast nobody serves; RabbitMQ
// would redeliver): one still `accepted` for a while — the conductor's evacuate_instance never ran, or its destination
// never took rebuild_instance (a destination sets pre-migrating first thing) — with its server still rebuilding on the
// source. Nova errors a server left rebuilding when its compute starts (_init_instance); here the source is down, so
// the conductor does it: the migration goes to error, any claim made for it goes back (the server's allocation on
// the source restored, the destination's dropped), and the server goes to ERROR with a fault saying why. An admin may
// evacuate it again. The compare-and-swap on the migration's status means a destination that takes it late, or a
// second conductor, never races this.
import type { PlacementClient } from '#services/placement/contract/client.ts';
import { finishAction, finishEvent, listActions, startEvent } from '../db/actions-repo.ts';
import { getInstance, updateInstance } from '../db/instances-repo.ts';
import { listMigrations, updateMigration } from '../db/migrations-repo.ts';
import type { Instance } from '../domain/instance.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import type { ConductorDeps } from './conductor-deps.ts';

const LOST_EVACUATION = 'The evacuation was lost with a stopped compute process; evacuate the server again.';

export async function recoverLostEvacuations(deps: ConductorDeps, staleMs: number): Promise<string[]> {
  const before = new Date(Date.now() - staleMs).toISOString();
  const picked: string[] = [];
  for (const m of await listMigrations(deps.db, { type: 'evacuation', status: 'accepted', changesBefore: before, limit: 1000 })) {
    const instance = await getInstance(deps.db, m.instanceUuid);
    if (!instance || instance.taskState !== TaskState.rebuilding || instance.host !== m.sourceCompute) continue;
    if (!await updateMigration(deps.db, m.uuid, { status: 'error' }, ['accepted'])) continue;
    picked.push(instance.uuid);
    const action = (await listActions(deps.db, instance.uuid)).find((a) => a.action === 'evacuate');
    await claimBackToServer(deps.placement, instance, m.uuid, action?.global_request_id).catch((err: unknown) =>
      deps.log.error({ instance: instance.uuid, migration: m.uuid, err: (err as Error).message }, 'cannot give the lost evacuation\'s claim back'));
    await updateInstance(deps.db, instance.uuid, {
      vmState: VmState.error, taskState: null, fault: { code: 500, message: LOST_EVACUATION, created: new Date().toISOString() },
    }, { taskState: [TaskState.rebuilding] });
    deps.log.warn({ instance: instance.uuid, migration: m.uuid, destination: m.destCompute }, 'evacuation lost with a stopped process; the server is in ERROR');
    if (action) {
      // The step that never ran: the destination's rebuild once a destination was claimed, else the scheduling.
      const event = m.destNode ? 'compute_rebuild_instance' : 'rebuild_server';
      await startEvent(deps.db, instance.uuid, action.request_id, event, m.destNode ? m.destCompute : null);
      await finishEvent(deps.db, instance.uuid, action.request_id, event, { ok: false, error: LOST_EVACUATION });
      await finishAction(deps.db, instance.uuid, action.request_id);
    }
  }
  return picked;
}

/** The allocation the migration holds on the source goes back to the server, replacing its claim on the destination. */
async function claimBackToServer(placement: PlacementClient, instance: Instance, migrationUuid: string, globalRequestId?: string): Promise<void> {
  const gctx = { globalRequestId };
  const [own, held] = [await placement.getAllocations(instance.uuid, gctx), await placement.getAllocations(migrationUuid, gctx)];
  if (!Object.keys(held.allocations).length) return;
  const owner = { project_id: instance.projectId, user_id: instance.userId };
  await placement.postAllocations({
    [instance.uuid]: {
      ...owner, consumer_type: 'INSTANCE', consumer_generation: own.consumer_generation ?? null,
      allocations: Object.fromEntries(Object.entries(held.allocations).map(([rp, v]) => [rp, { resources: v.resources }])),
    },
    [migrationUuid]: { ...owner, consumer_type: 'MIGRATION', consumer_generation: held.consumer_generation ?? null, allocations: {} },
  }, gctx);
}
