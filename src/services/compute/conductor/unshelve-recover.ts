// Unshelves whose work was lost with a stopped process: a server left `unshelving` (the conductor stopped while it
// scheduled, or its cast never reached a conductor or agent) goes back to where it was — shelved on its host, or
// offloaded with any claim released — so the user can unshelve it again. The unshelve's action says why it failed.
import { claimStale, getInstance, updateInstance } from '../db/instances-repo.ts';
import { finishAction, finishEvent, listActions, startEvent } from '../db/actions-repo.ts';
import { listStaleUnshelving } from '../db/shelve-repo.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { UNSHELVE_SCHEDULE_EVENT } from './unshelve.ts';

export async function recoverLostUnshelves(deps: ConductorDeps, staleMs: number): Promise<string[]> {
  const before = new Date(Date.now() - staleMs).toISOString();
  const picked: string[] = [];
  for (const stale of await listStaleUnshelving(deps.db, before)) {
    if (!await claimStale(deps.db, stale.uuid, stale.updatedAt)) continue;
    const instance = await getInstance(deps.db, stale.uuid);
    if (!instance) continue;
    const offloaded = instance.vmState === VmState.shelvedOffloaded;
    const action = (await listActions(deps.db, instance.uuid)).find((a) => a.action === 'unshelve');
    const requestId = action?.request_id;
    if (offloaded) await deps.placement.deleteAllocations(instance.uuid, { globalRequestId: action?.global_request_id }).catch(() => undefined);
    const reset = await updateInstance(deps.db, instance.uuid, { taskState: null, ...(offloaded ? { host: null, node: null } : {}) },
      { taskState: [TaskState.unshelving] });
    if (!reset) continue;
    picked.push(instance.uuid);
    deps.log.warn({ instance: instance.uuid, vmState: instance.vmState }, 'unshelve lost with a stopped process; the server is back as it was');
    if (requestId) {
      await startEvent(deps.db, instance.uuid, requestId, UNSHELVE_SCHEDULE_EVENT, null);
      await finishEvent(deps.db, instance.uuid, requestId, UNSHELVE_SCHEDULE_EVENT,
        { ok: false, error: 'The unshelve was lost with a stopped compute process; unshelve the server again.' });
      await finishAction(deps.db, instance.uuid, requestId);
    }
  }
  return picked;
}
