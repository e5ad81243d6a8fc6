// Key/value metadata of volumes and snapshots (two tables of the same shape), replaced or merged in one transaction.
import type { BlockStorageDb } from './tables.ts';

export type MetadataTable = 'volume_metadata' | 'snapshot_metadata';

export async function getMetadata(db: BlockStorageDb, table: MetadataTable, ownerId: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom(table).select(['key', 'value']).where('owner_id', '=', ownerId).orderBy('key').execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Sets `metadata`; with replace, keys not in it are removed first. */
export async function setMetadata(db: BlockStorageDb, table: MetadataTable, ownerId: string, metadata: Record<string, string>, replace: boolean): Promise<void> {
  await db.transaction().execute(async (tx) => {
    if (replace) await tx.deleteFrom(table).where('owner_id', '=', ownerId).execute();
    for (const [key, value] of Object.entries(metadata)) {
      const r = await tx.updateTable(table).set({ value }).where('owner_id', '=', ownerId).where('key', '=', key).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) await tx.insertInto(table).values({ owner_id: ownerId, key, value }).execute();
    }
  });
}

/** Whether the key existed. */
export async function deleteMetadataKey(db: BlockStorageDb, table: MetadataTable, ownerId: string, key: string): Promise<boolean> {
  const r = await db.deleteFrom(table).where('owner_id', '=', ownerId).where('key', '=', key).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
