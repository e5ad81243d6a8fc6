// Generic get/list/insert/update/delete by id, so each repository only writes the queries that are its own.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { IdentityDb, IdentityTables } from './tables.ts';

/** Keystone ids are UUID hex without dashes. */
export const newId = (): string => randomUUID().replaceAll('-', '');
export const nowIso = (): string => new Date().toISOString();
export const asBool = (v: unknown): boolean => v === true || v === 1 || v === '1';
export const parseJson = <T>(text: string | null | undefined, fallback: T): T => {
  if (!text) return fallback;
  try { return JSON.parse(text) as T; } catch { return fallback; }
};

export type TableName = keyof IdentityTables & string;
export type Row<T extends TableName> = IdentityTables[T];

export function crud<T extends TableName>(db: IdentityDb, table: T) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- table names are dynamic here; callers stay typed
  const k = db as unknown as Kysely<any>;
  return {
    get: async (id: string): Promise<Row<T> | undefined> =>
      (await k.selectFrom(table as string).selectAll().where('id', '=', id).executeTakeFirst()) as Row<T> | undefined,
    list: async (where: Partial<Row<T>> = {}): Promise<Row<T>[]> => {
      let q = k.selectFrom(table as string).selectAll();
      for (const [col, value] of Object.entries(where)) {
        if (value === undefined) continue;
        q = value === null ? q.where(col, 'is', null) : q.where(col, '=', value);
      }
      return (await q.execute()) as Row<T>[];
    },
    insert: async (row: Row<T>): Promise<Row<T>> => {
      await k.insertInto(table).values(row as never).execute();
      return row;
    },
    update: async (id: string, patch: Partial<Row<T>>): Promise<void> => {
      if (Object.keys(patch).length === 0) return;
      await k.updateTable(table as string).set(patch as never).where('id', '=', id).execute();
    },
    delete: async (id: string): Promise<boolean> => {
      const r = await k.deleteFrom(table as string).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
