// Work a dead volume service can never report: when a cinder-volume has had no heartbeat for service_down_time,
// its volumes and snapshots still creating, extending or deleting are moved to their error statuses, so users see a
// final state instead of a spinner. If the service comes back, its initHost cleans up what those left on disk.
import type { Logger } from '#lib/log.ts';
import type { BlockStorageDb } from '../db/tables.ts';
import { listServices } from '../db/services-repo.ts';

const VOLUME_FAILED: Record<string, string> = { creating: 'error', extending: 'error_extending', deleting: 'error_deleting' };
const SNAPSHOT_FAILED: Record<string, string> = { creating: 'error', deleting: 'error_deleting' };

/** Returns how many volumes and snapshots it moved. Conditional updates: a report arriving meanwhile wins. */
export async function failWorkOfDeadHosts(db: BlockStorageDb, opts: { downAfterMs: number; log: Logger }): Promise<number> {
  const cutoff = new Date(Date.now() - opts.downAfterMs).toISOString();
  const dead = (await listServices(db, { binary: 'cinder-volume' })).filter((s) => s.updated_at < cutoff).map((s) => s.host);
  let moved = 0;
  for (const host of dead) {
    for (const [from, to] of Object.entries(VOLUME_FAILED)) {
      const r = await db.updateTable('volumes').set({ status: to, updated_at: new Date().toISOString() })
        .where('host', 'like', `${host}#%`).where('status', '=', from).where('updated_at', '<', cutoff).executeTakeFirst();
      moved += Number(r.numUpdatedRows);
    }
    for (const [from, to] of Object.entries(SNAPSHOT_FAILED)) {
      const r = await db.updateTable('snapshots').set({ status: to, updated_at: new Date().toISOString() })
        .where('status', '=', from).where('updated_at', '<', cutoff)
        .where('volume_id', 'in', db.selectFrom('volumes').select('id').where('host', 'like', `${host}#%`)).executeTakeFirst();
      moved += Number(r.numUpdatedRows);
    }
  }
  if (moved > 0) opts.log.warn({ hosts: dead, moved }, 'volume services are down: their unfinished work is marked failed');
  return moved;
}
