// Volume attachments (Cinder's volume_attachment table), shared by the attachments API and the legacy attach actions.
import type { Attachment } from '../domain/models.ts';
import type { AttachmentRow, BlockStorageDb } from './tables.ts';

const parse = (text: string | null): Record<string, unknown> | null => (text ? JSON.parse(text) as Record<string, unknown> : null);

export function toAttachment(row: AttachmentRow): Attachment {
  return {
    id: row.id, volumeId: row.volume_id, instanceUuid: row.instance_uuid, attachedHost: row.attached_host, mountpoint: row.mountpoint,
    status: row.attach_status, attachMode: row.attach_mode === 'ro' ? 'ro' : 'rw', connector: parse(row.connector),
    connectionInfo: parse(row.connection_info), attachedAt: row.attach_time, detachedAt: row.detach_time, createdAt: row.created_at,
  };
}

export async function getAttachment(db: BlockStorageDb, id: string): Promise<Attachment | undefined> {
  const row = await db.selectFrom('volume_attachments').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toAttachment(row) : undefined;
}

export async function attachmentsOf(db: BlockStorageDb, volumeId: string): Promise<Attachment[]> {
  return (await db.selectFrom('volume_attachments').selectAll().where('volume_id', '=', volumeId).orderBy('created_at').execute()).map(toAttachment);
}

/** Attachments of volumes in `projectId` (every project's when undefined). */
export async function listAttachments(db: BlockStorageDb, q: { projectId?: string; volumeId?: string; instanceUuid?: string; limit: number }): Promise<Attachment[]> {
  let query = db.selectFrom('volume_attachments').selectAll('volume_attachments').innerJoin('volumes', 'volumes.id', 'volume_attachments.volume_id');
  if (q.projectId !== undefined) query = query.where('volumes.project_id', '=', q.projectId);
  if (q.volumeId !== undefined) query = query.where('volume_attachments.volume_id', '=', q.volumeId);
  if (q.instanceUuid !== undefined) query = query.where('volume_attachments.instance_uuid', '=', q.instanceUuid);
  return (await query.orderBy('volume_attachments.created_at').limit(q.limit).execute()).map(toAttachment);
}

export async function insertAttachment(db: BlockStorageDb, a: Attachment): Promise<void> {
  await db.insertInto('volume_attachments').values({
    id: a.id, volume_id: a.volumeId, instance_uuid: a.instanceUuid, attached_host: a.attachedHost, mountpoint: a.mountpoint,
    attach_status: a.status, attach_mode: a.attachMode, connector: a.connector ? JSON.stringify(a.connector) : null,
    connection_info: a.connectionInfo ? JSON.stringify(a.connectionInfo) : null, attach_time: a.attachedAt, detach_time: a.detachedAt,
    created_at: a.createdAt, updated_at: a.createdAt,
  }).execute();
}

export interface AttachmentChanges {
  status?: string;
  connector?: Record<string, unknown> | null;
  connectionInfo?: Record<string, unknown> | null;
  attachedHost?: string | null;
  mountpoint?: string | null;
  attachMode?: 'rw' | 'ro';
  instanceUuid?: string | null;
  attachedAt?: string | null;
}

export async function updateAttachment(db: BlockStorageDb, id: string, c: AttachmentChanges, from?: readonly string[]): Promise<boolean> {
  let q = db.updateTable('volume_attachments').set({
    ...(c.status !== undefined ? { attach_status: c.status } : {}),
    ...(c.connector !== undefined ? { connector: c.connector ? JSON.stringify(c.connector) : null } : {}),
    ...(c.connectionInfo !== undefined ? { connection_info: c.connectionInfo ? JSON.stringify(c.connectionInfo) : null } : {}),
    ...(c.attachedHost !== undefined ? { attached_host: c.attachedHost } : {}),
    ...(c.mountpoint !== undefined ? { mountpoint: c.mountpoint } : {}),
    ...(c.attachMode !== undefined ? { attach_mode: c.attachMode } : {}),
    ...(c.instanceUuid !== undefined ? { instance_uuid: c.instanceUuid } : {}),
    ...(c.attachedAt !== undefined ? { attach_time: c.attachedAt } : {}),
    updated_at: new Date().toISOString(),
  }).where('id', '=', id);
  if (from) q = q.where('attach_status', 'in', [...from]);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

export async function deleteAttachmentRow(db: BlockStorageDb, id: string): Promise<void> {
  await db.deleteFrom('volume_attachments').where('id', '=', id).execute();
}
