// The services table: one row per binary@host, its heartbeat in updated_at (os-services lists it as up or down).
import type { BlockStorageDb, ServiceRow } from './tables.ts';

/** Records a heartbeat, creating the row on the first one. */
export async function heartbeat(db: BlockStorageDb, s: { binary: string; host: string; zone: string }): Promise<void> {
  const now = new Date().toISOString();
  const id = `${s.binary}@${s.host}`;
  const r = await db.updateTable('services').set({ updated_at: now, availability_zone: s.zone }).where('id', '=', id).executeTakeFirst();
  if (Number(r.numUpdatedRows) > 0) return;
  await db.insertInto('services').values({ id, binary: s.binary, host: s.host, availability_zone: s.zone, disabled: false, disabled_reason: null, created_at: now, updated_at: now })
    .execute().catch(() => undefined); // a concurrent first heartbeat inserted it: fine
}

export async function listServices(db: BlockStorageDb, q: { binary?: string; host?: string }): Promise<ServiceRow[]> {
  let query = db.selectFrom('services').selectAll();
  if (q.binary) query = query.where('binary', '=', q.binary);
  if (q.host) query = query.where('host', '=', q.host);
  return query.orderBy('binary').orderBy('host').execute();
}

export async function setServiceDisabled(db: BlockStorageDb, binary: string, host: string, disabled: boolean, reason: string | null): Promise<boolean> {
  const r = await db.updateTable('services').set({ disabled, disabled_reason: reason }).where('binary', '=', binary).where('host', '=', host).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
