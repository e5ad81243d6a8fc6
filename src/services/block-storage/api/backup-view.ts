// A backup as Cinder's API shows it, per microversion (project attribute, metadata from 3.43, user_id from 3.56).
import type { FastifyRequest } from 'fastify';
import type { BackupRow } from '../db/tables.ts';
import { atLeast } from './microversion.ts';
import { links } from './views.ts';

const isoNoZ = (t: string) => t.replace(/Z$/, '');

export function backupView(req: FastifyRequest, b: BackupRow, detailed: boolean, hasDependents: boolean): Record<string, unknown> {
  const summary = { id: b.id, name: b.name, links: links(req, b.project_id, 'backups', b.id) };
  if (!detailed) return summary;
  return {
    ...summary, description: b.description, status: b.status, size: b.size, volume_id: b.volume_id, snapshot_id: b.snapshot_id, container: b.container,
    availability_zone: b.availability_zone, created_at: isoNoZ(b.created_at), updated_at: isoNoZ(b.updated_at), fail_reason: b.fail_reason,
    is_incremental: b.parent_id !== null, has_dependent_backups: hasDependents, object_count: b.object_count,
    data_timestamp: isoNoZ(b.data_timestamp ?? b.created_at), 'os-backup-project-attr:project_id': b.project_id,
    ...(atLeast(req, 43) ? { metadata: b.metadata ? JSON.parse(b.metadata) as Record<string, string> : {} } : {}),
    ...(atLeast(req, 56) ? { user_id: b.user_id } : {}),
  };
}
