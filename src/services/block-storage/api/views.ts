// Domain objects → Cinder's JSON per microversion, with self and bookmark links; admin-only attributes only for admins.
import type { FastifyRequest } from 'fastify';
import type { Attachment, Snapshot, Volume, VolumeType } from '../domain/models.ts';
import { atLeast } from './microversion.ts';

const origin = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? req.host}`;

export function links(req: FastifyRequest, projectId: string, kind: string, id: string) {
  return [
    { rel: 'self', href: `${origin(req)}/v3/${projectId}/${kind}/${id}` },
    { rel: 'bookmark', href: `${origin(req)}/${projectId}/${kind}/${id}` },
  ];
}

/** The `next` link of a page that came back full. */
export function nextLink(req: FastifyRequest, path: string, limit: number, lastId: string) {
  const q = new URLSearchParams({ ...(req.query as Record<string, string>), limit: String(limit), marker: lastId });
  return [{ rel: 'next', href: `${origin(req)}${path}?${q}` }];
}

const iso = (t: string | null): string | null => (t ? t.replace(/Z$/, '') : null);

export function volumeSummary(req: FastifyRequest, v: Volume): Record<string, unknown> {
  return { id: v.id, name: v.name, links: links(req, v.projectId, 'volumes', v.id) };
}

export interface VolumeExtras {
  typeName: string;
  metadata: Record<string, string>;
  attachments: Attachment[];
  isAdmin: boolean;
}

export function volumeDetail(req: FastifyRequest, v: Volume, x: VolumeExtras): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: v.id, name: v.name, description: v.description, status: v.status, size: v.size, availability_zone: v.availabilityZone,
    created_at: iso(v.createdAt), updated_at: iso(v.updatedAt),
    attachments: x.attachments.filter((a) => a.status === 'attached').map((a) => ({
      id: v.id, attachment_id: a.id, volume_id: v.id, server_id: a.instanceUuid, host_name: a.attachedHost, device: a.mountpoint,
      attached_at: iso(a.attachedAt),
    })),
    bootable: String(v.bootable), encrypted: false, multiattach: v.multiattach, metadata: x.metadata, links: links(req, v.projectId, 'volumes', v.id),
    replication_status: null, consistencygroup_id: null, snapshot_id: v.snapshotId, source_volid: v.sourceVolid, user_id: v.userId,
    volume_type: x.typeName, 'os-vol-tenant-attr:tenant_id': v.projectId,
  };
  if (x.isAdmin) {
    body['os-vol-host-attr:host'] = v.host;
    body['os-vol-mig-status-attr:migstat'] = v.migrationStatus ?? null;
    body['os-vol-mig-status-attr:name_id'] = null;
    body.migration_status = v.migrationStatus ?? null;
  }
  if (v.imageMetadata) body.volume_image_metadata = v.imageMetadata;
  if (atLeast(req, 13)) body.group_id = null;
  if (atLeast(req, 21) && x.isAdmin) body.provider_id = null;
  if (atLeast(req, 48)) body.shared_targets = false;
  if (atLeast(req, 48) && x.isAdmin) body.service_uuid = null;
  return body;
}

export function snapshotDetail(req: FastifyRequest, s: Snapshot, metadata: Record<string, string>): Record<string, unknown> {
  return {
    id: s.id, name: s.name, description: s.description, status: s.status, size: s.size, volume_id: s.volumeId, metadata,
    created_at: iso(s.createdAt), updated_at: iso(s.updatedAt),
    'os-extended-snapshot-attributes:progress': s.progress, 'os-extended-snapshot-attributes:project_id': s.projectId,
    ...(atLeast(req, 14) ? { group_snapshot_id: null } : {}), ...(atLeast(req, 41) ? { user_id: s.userId } : {}),
  };
}

/** Extra specs everyone may see; the rest (backend names, formats) only admins. */
const USER_VISIBLE_SPECS = new Set(['multiattach', 'replication_enabled', 'RESKEY:availability_zones']);

export function typeView(t: VolumeType, isAdmin: boolean): Record<string, unknown> {
  const specs = isAdmin ? t.extraSpecs : Object.fromEntries(Object.entries(t.extraSpecs).filter(([k]) => USER_VISIBLE_SPECS.has(k)));
  return {
    id: t.id, name: t.name, description: t.description, is_public: t.isPublic, 'os-volume-type-access:is_public': t.isPublic,
    extra_specs: specs, qos_specs_id: t.qosSpecsId,
  };
}

export function attachmentView(a: Attachment, detailed: boolean): Record<string, unknown> {
  const summary = { id: a.id, status: a.status, instance: a.instanceUuid, volume_id: a.volumeId };
  if (!detailed) return summary;
  return { ...summary, attached_at: iso(a.attachedAt), detached_at: iso(a.detachedAt), attach_mode: a.attachMode, connection_info: a.connectionInfo ?? {} };
}
