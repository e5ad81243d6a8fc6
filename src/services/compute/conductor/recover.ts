// On start, the conductor picks up builds whose cast was lost with a stopped process (the in-process bus keeps
// nothing; RabbitMQ would redeliver): servers still `scheduling` on no host, untouched for a while, are scheduled
// again, and deletes of servers no host holds are finished; lost unshelves and evacuations are undone
// (unshelve-recover.ts, evacuate-recover.ts). Claiming each one with a compare-and-swap on updated_at
// means two conductors starting at once never both take the same server.
import { randomUUID } from 'node:crypto';
import type { BusContext } from '#lib/bus/index.ts';
import { listActions } from '../db/actions-repo.ts';
import { claimStale, listStuck, markDeleted } from '../db/instances-repo.ts';
import { TaskState } from '../domain/vm-states.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { scheduleAndBuild } from './build-instances.ts';
import { recoverLostUnshelves } from './unshelve-recover.ts';
import { recoverLostEvacuations } from './evacuate-recover.ts';

export async function recoverLostWork(deps: ConductorDeps, staleMs: number): Promise<string[]> {
  const before = new Date(Date.now() - staleMs).toISOString();
  const picked: string[] = [];
  for (const i of await listStuck(deps.db, before)) {
    if (!await claimStale(deps.db, i.uuid, i.updatedAt)) continue;
    picked.push(i.uuid);
    const action = await findLatestAction(deps, i.uuid, i.taskState === TaskState.deleting ? 'delete' : 'create');
    const ctx: BusContext = { requestId: action ?? `req-${randomUUID()}`, globalRequestId: action ?? `req-${randomUUID()}` };
    deps.log.warn({ instance: i.uuid, taskState: i.taskState }, 'resuming work lost with a stopped process');
    if (i.taskState === TaskState.scheduling) {
      // The user's token is gone, so the build cannot fetch the image: it fails cleanly into ERROR if it needs it.
      await scheduleAndBuild(deps, ctx, i.uuid);
    } else {
      await deps.placement.deleteAllocations(i.uuid, { globalRequestId: ctx.globalRequestId }).catch(() => undefined);
      await markDeleted(deps.db, i.uuid);
    }
  }
  picked.push(...await recoverLostUnshelves(deps, staleMs));
  picked.push(...await recoverLostEvacuations(deps, staleMs));
  return picked;
}

/** The request id of the server's newest action of that kind, so recovered steps join its events. */
async function findLatestAction(deps: ConductorDeps, uuid: string, action: string): Promise<string | undefined> {
  return (await listActions(deps.db, uuid)).find((a) => a.action === action)?.request_id;
}
