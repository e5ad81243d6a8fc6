// A server's system metadata (Nova's instance_system_metadata): keys compute sets for itself, never shown to users.
import type { ComputeDb } from './tables.ts';

export async function getSystemMetadata(db: ComputeDb, instanceUuid: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('instance_system_metadata').select(['key', 'value']).where('instance_uuid', '=', instanceUuid).execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Sets the keys of `set` and removes those of `remove`, in one transaction. */
export async function updateSystemMetadata(db: ComputeDb, instanceUuid: string, change: { set?: Record<string, string>; remove?: string[] }): Promise<void> {
  const keys = [...Object.keys(change.set ?? {}), ...change.remove ?? []];
  if (!keys.length) return;
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('instance_system_metadata').where('instance_uuid', '=', instanceUuid).where('key', 'in', keys).execute();
    const rows = Object.entries(change.set ?? {}).map(([key, value]) => ({ instance_uuid: instanceUuid, key, value }));
    if (rows.length) await tx.insertInto('instance_system_metadata').values(rows).execute();
  });
}

/** One key's value for several servers at once (absent keys are left out). */
export async function systemMetadataKey(db: ComputeDb, instanceUuids: string[], key: string): Promise<Map<string, string>> {
  if (!instanceUuids.length) return new Map();
  const rows = await db.selectFrom('instance_system_metadata').select(['instance_uuid', 'value'])
    .where('instance_uuid', 'in', instanceUuids).where('key', '=', key).execute();
  return new Map(rows.map((r) => [r.instance_uuid, r.value]));
}
