// The unshelves whose work was lost with a stopped process, for the conductor's recovery.
import { TaskState } from '../domain/vm-states.ts';
import type { ComputeDb } from './tables.ts';

/** Live servers still `unshelving` since before `before`: the conductor's cast (or its scheduling) never went on. */
export async function listStaleUnshelving(db: ComputeDb, before: string): Promise<{ uuid: string; updatedAt: string }[]> {
  const rows = await db.selectFrom('instances').select(['uuid', 'updated_at']).where('deleted', '=', false)
    .where('task_state', '=', TaskState.unshelving).where('updated_at', '<', before).execute();
  return rows.map((r) => ({ uuid: r.uuid, updatedAt: r.updated_at }));
}
