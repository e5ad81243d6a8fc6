// Migrations (Nova's os-migrations records): one per resize, its status moving pre-migrating → migrating →
// post-migrating → finished → confirmed, or → reverting → reverted, or error.
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Migration, MigrationPatch } from '../domain/migration.ts';

export type { Migration, MigrationPatch } from '../domain/migration.ts';
import type { ComputeDb, MigrationRow } from './tables.ts';

function toMigration(r: Selectable<MigrationRow>): Migration {
  return {
    id: Number(r.id), uuid: r.uuid, instanceUuid: r.instance_uuid, projectId: r.project_id, userId: r.user_id, migrationType: r.migration_type,
    status: r.status, sourceCompute: r.source_compute, sourceNode: r.source_node, destCompute: r.dest_compute, destNode: r.dest_node,
    oldFlavor: JSON.parse(r.old_flavor), newFlavor: JSON.parse(r.new_flavor), createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export async function insertMigration(db: ComputeDb, m: Pick<Migration, 'instanceUuid' | 'projectId' | 'userId' | 'migrationType' | 'status' |
  'sourceCompute' | 'sourceNode' | 'oldFlavor' | 'newFlavor'>): Promise<Migration> {
  const now = new Date().toISOString();
  const uuid = randomUUID();
  await db.insertInto('migrations').values({
    uuid, instance_uuid: m.instanceUuid, project_id: m.projectId, user_id: m.userId, migration_type: m.migrationType, status: m.status,
    source_compute: m.sourceCompute, source_node: m.sourceNode, dest_compute: null, dest_node: null,
    old_flavor: JSON.stringify(m.oldFlavor), new_flavor: JSON.stringify(m.newFlavor), created_at: now, updated_at: now,
  }).execute();
  return (await getMigration(db, uuid))!;
}

export async function getMigration(db: ComputeDb, uuid: string): Promise<Migration | undefined> {
  const row = await db.selectFrom('migrations').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  return row ? toMigration(row) : undefined;
}

/** The server's latest migration in one of `statuses`. */
export async function latestMigration(db: ComputeDb, instanceUuid: string, statuses: string[]): Promise<Migration | undefined> {
  const row = await db.selectFrom('migrations').selectAll().where('instance_uuid', '=', instanceUuid).where('status', 'in', statuses)
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? toMigration(row) : undefined;
}

export async function listMigrations(db: ComputeDb, f: {
  instanceUuid?: string; status?: string; host?: string; type?: string; limit: number;
  /** 2.80 filters, and updated_at bounds (2.59 changes-since, 2.66 changes-before). */
  userId?: string; projectId?: string; changesSince?: string; changesBefore?: string;
}): Promise<Migration[]> {
  let q = db.selectFrom('migrations').selectAll();
  if (f.userId) q = q.where('user_id', '=', f.userId);
  if (f.projectId) q = q.where('project_id', '=', f.projectId);
  if (f.changesSince) q = q.where('updated_at', '>=', f.changesSince);
  if (f.changesBefore) q = q.where('updated_at', '<=', f.changesBefore);
  if (f.instanceUuid) q = q.where('instance_uuid', '=', f.instanceUuid);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.type) q = q.where('migration_type', '=', f.type);
  if (f.host) q = q.where((eb) => eb.or([eb('source_compute', '=', f.host!), eb('dest_compute', '=', f.host!)]));
  return (await q.orderBy('id', 'desc').limit(f.limit).execute()).map(toMigration);
}

/** Applies a patch when the status is one of `expected` (if given); the updated record, or undefined when the race was lost. */
export async function updateMigration(db: ComputeDb, uuid: string, patch: MigrationPatch, expected?: string[]): Promise<Migration | undefined> {
  let q = db.updateTable('migrations').set({
    updated_at: new Date().toISOString(), ...(patch.status !== undefined ? { status: patch.status } : {}),
    ...(patch.destCompute !== undefined ? { dest_compute: patch.destCompute } : {}), ...(patch.destNode !== undefined ? { dest_node: patch.destNode } : {}),
  }).where('uuid', '=', uuid);
  if (expected) q = q.where('status', 'in', expected);
  const res = await q.executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return undefined;
  return getMigration(db, uuid);
}
