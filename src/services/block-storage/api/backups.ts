// Backups: full copies of a volume kept by its volume service apart from the volumes (the file driver: compressed
// qcow2 under <data>/backups). Create (of an available volume; in-use with force), list/detail, show, delete, and
// restore into an existing volume or a new one. Incremental backups are not offered: a full one is never passed off
// as incremental.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import type { Volume } from '../domain/models.ts';
import { backupNotFound, invalidBackup, invalidInput, invalidVolume } from '../domain/errors.ts';
import type { BackupRow } from '../db/tables.ts';
import { insertBackupWithinQuota, insertVolumeWithinQuota } from '../db/quotas-repo.ts';
import { getVolume, updateVolume } from '../db/volumes-repo.ts';
import { volumeServer } from '../rpc/volume-rpc.ts';
import { authorize, busContext, callerOf, loadVolume, pathProject } from './deps.ts';
import type { BlockStorageApiDeps, Caller } from './deps.ts';
import { atLeast } from './microversion.ts';
import { links, nextLink } from './views.ts';
import { booleanish, descriptionField, nameField, toBool, uuidField } from './schemas/common.ts';
import { findType } from './volume-types-lookup.ts';

const createBody = {
  type: 'object', required: ['backup'], additionalProperties: false,
  properties: {
    backup: {
      type: 'object', required: ['volume_id'], additionalProperties: false,
      properties: {
        volume_id: uuidField, name: nameField, description: descriptionField, container: { type: ['string', 'null'], maxLength: 255 },
        incremental: { anyOf: [booleanish, { type: 'null' }] }, force: { anyOf: [booleanish, { type: 'null' }] },
        snapshot_id: { anyOf: [uuidField, { type: 'null' }] }, metadata: { type: ['object', 'null'] }, availability_zone: { type: ['string', 'null'] },
      },
    },
  },
} as const;

const restoreBody = {
  type: 'object', required: ['restore'], additionalProperties: false,
  properties: { restore: { type: ['object', 'null'], additionalProperties: false, properties: { volume_id: { anyOf: [uuidField, { type: 'null' }] }, name: nameField } } },
} as const;

const idParam = (req: FastifyRequest): string => (req.params as { backup_id: string }).backup_id;

function view(req: FastifyRequest, b: BackupRow, detailed: boolean): Record<string, unknown> {
  const summary = { id: b.id, name: b.name, links: links(req, b.project_id, 'backups', b.id) };
  if (!detailed) return summary;
  return {
    ...summary, description: b.description, status: b.status, size: b.size, volume_id: b.volume_id, snapshot_id: null, container: null,
    availability_zone: b.availability_zone, created_at: b.created_at.replace(/Z$/, ''), updated_at: b.updated_at.replace(/Z$/, ''),
    fail_reason: b.fail_reason, is_incremental: false, has_dependent_backups: false, object_count: 0, data_timestamp: b.created_at.replace(/Z$/, ''),
    'os-backup-project-attr:project_id': b.project_id, ...(atLeast(req, 43) ? { metadata: {} } : {}), ...(atLeast(req, 56) ? { user_id: b.user_id } : {}),
  };
}

async function loadBackup(deps: BlockStorageApiDeps, caller: Caller, id: string, rule: string): Promise<BackupRow> {
  const b = await deps.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!b || (!caller.isAdmin && b.project_id !== caller.projectId)) throw backupNotFound(id);
  authorize(deps, caller, rule, b.project_id);
  return b;
}

/** Moves a backup between statuses conditionally; false when it was elsewhere. */
async function moveBackup(deps: BlockStorageApiDeps, id: string, from: string, to: string): Promise<boolean> {
  const r = await deps.db.updateTable('backups').set({ status: to, updated_at: new Date().toISOString() }).where('id', '=', id).where('status', '=', from).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

async function restoreToNewVolume(deps: BlockStorageApiDeps, req: FastifyRequest, caller: Caller, b: BackupRow, name: string | null): Promise<Volume> {
  const type = await findType(deps, caller, null);
  const now = new Date().toISOString();
  const v: Volume = {
    id: randomUUID(), projectId: b.project_id, userId: caller.userId, name: name ?? `restore_backup_${b.id}`, description: null, size: b.size,
    status: 'creating', attachStatus: 'detached', host: null, availabilityZone: b.availability_zone, volumeTypeId: type.id, snapshotId: null,
    sourceVolid: null, backupId: b.id, imageMetadata: null, bootable: false, readOnly: false, multiattach: false, providerLocation: null,
    format: type.extraSpecs.volume_format ?? deps.settings.defaultFormat, createdAt: now, updatedAt: now, launchedAt: null,
  };
  if (!await moveBackup(deps, b.id, 'available', 'restoring')) throw invalidBackup('Backup status must be available');
  try {
    await insertVolumeWithinQuota(deps.db, v, {}, deps.settings.quotaDefaults);
  } catch (err) {
    await moveBackup(deps, b.id, 'restoring', 'available');
    throw err;
  }
  await deps.scheduler.cast('createVolume', { volumeId: v.id }, busContext(req));
  return v;
}

export function registerBackups(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  const base = '/backups';
  for (const [path, detailed] of [[base, false], [`${base}/detail`, true]] as const) {
    app.get(path, async (req) => {
      const caller = callerOf(deps, req);
      authorize(deps, caller, 'backup:get_all', pathProject(req));
      const q = req.query as { all_tenants?: string; limit?: string; marker?: string; volume_id?: string; status?: string; name?: string };
      let query = deps.db.selectFrom('backups').selectAll();
      if (!(caller.isAdmin && q.all_tenants !== undefined && toBool(q.all_tenants, 'all_tenants'))) query = query.where('project_id', '=', caller.projectId ?? '');
      if (q.volume_id) query = query.where('volume_id', '=', q.volume_id);
      if (q.status) query = query.where('status', '=', q.status);
      if (q.name) query = query.where('name', '=', q.name);
      if (q.limit !== undefined && !/^\d+$/.test(q.limit)) throw new BadRequest(`Invalid input received: limit must be a non-negative integer, not ${q.limit}`);
      const limit = Math.min(q.limit === undefined ? deps.settings.maxLimit : Number(q.limit), deps.settings.maxLimit);
      if (q.marker) {
        const m = await deps.db.selectFrom('backups').select(['created_at', 'id']).where('id', '=', q.marker).executeTakeFirst();
        if (!m) throw new BadRequest(`Marker ${q.marker} could not be found.`);
        query = query.where((eb) => eb.or([eb('created_at', '<', m.created_at), eb.and([eb('created_at', '=', m.created_at), eb('id', '<', m.id)])]));
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      const body: Record<string, unknown> = { backups: rows.map((b) => view(req, b, detailed)) };
      if (q.limit !== undefined && limit > 0 && rows.length === limit) body.backups_links = nextLink(req, `/v3/${pathProject(req)}${path}`, limit, rows.at(-1)!.id);
      return body;
    });
  }

  app.get(`${base}/:backup_id`, async (req) => ({ backup: view(req, await loadBackup(deps, callerOf(deps, req), idParam(req), 'backup:get'), true) }));

  app.post(base, { schema: { body: createBody } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = (req.body as { backup: { volume_id: string; name?: string | null; description?: string | null; incremental?: boolean | string | null; force?: boolean | string | null; snapshot_id?: string | null } }).backup;
    const v = await loadVolume(deps, caller, b.volume_id, 'backup:create');
    if (b.incremental !== undefined && b.incremental !== null && toBool(b.incremental, 'incremental')) throw new BadRequest('Incremental backups are not supported by this cloud yet; create a full backup.');
    if (b.snapshot_id) throw new BadRequest('Backups of snapshots are not supported by this cloud yet.');
    const force = b.force !== undefined && b.force !== null && toBool(b.force, 'force');
    const allowed = force ? ['available', 'in-use'] : ['available'];
    if (!allowed.includes(v.status) || !v.host) throw invalidVolume(`Volume to be backed up must be available or in-use, but the current status is "${v.status}".`);
    const now = new Date().toISOString();
    const row: BackupRow = {
      id: randomUUID(), project_id: v.projectId, user_id: caller.userId, volume_id: v.id, host: volumeServer(v.host), availability_zone: v.availabilityZone,
      name: b.name ?? null, description: b.description ?? null, size: v.size, status: 'creating', fail_reason: null, location: null, created_at: now, updated_at: now,
    };
    if (!await insertBackupWithinQuota(deps.db, row, v.status, deps.settings.quotaDefaults)) throw invalidVolume(`Volume ${v.id} changed status meanwhile.`);
    await deps.volume.cast('createBackup', { backup: { id: row.id, location: null }, volume: { id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation }, previousStatus: v.status },
      busContext(req), { server: row.host });
    return reply.code(202).send({ backup: view(req, row, false) });
  });

  app.delete(`${base}/:backup_id`, async (req, reply) => {
    const b = await loadBackup(deps, callerOf(deps, req), idParam(req), 'backup:delete');
    if (!['available', 'error'].includes(b.status) || !await moveBackup(deps, b.id, b.status, 'deleting')) {
      throw invalidBackup(`Backup status must be available or error, but it is ${b.status}.`);
    }
    await deps.volume.cast('deleteBackup', { backup: { id: b.id, location: b.location } }, busContext(req), { server: b.host });
    return reply.code(202).send();
  });

  app.post(`${base}/:backup_id/restore`, { schema: { body: restoreBody } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = await loadBackup(deps, caller, idParam(req), 'backup:restore');
    const body = (req.body as { restore: { volume_id?: string | null; name?: string | null } | null }).restore ?? {};
    if (b.status !== 'available') throw invalidBackup(`Backup status must be available, but it is ${b.status}.`);
    if (!body.volume_id) {
      const v = await restoreToNewVolume(deps, req, caller, b, body.name ?? null);
      return reply.code(202).send({ restore: { backup_id: b.id, volume_id: v.id, volume_name: v.name } });
    }
    const v = await loadVolume(deps, caller, body.volume_id, 'volume:update');
    if (v.status !== 'available') throw invalidVolume(`Volume to be restored to must be available, but the current status is "${v.status}".`);
    if (v.size < b.size) throw invalidInput(`volume size ${v.size} is smaller than backup size ${b.size}`);
    if (!v.host || volumeServer(v.host) !== b.host) throw invalidVolume(`Volume ${v.id} is on another backend than backup ${b.id}; restore to a new volume instead.`);
    if (!await updateVolume(deps.db, v.id, { status: 'restoring-backup' }, ['available'])) throw invalidVolume('Volume to be restored to must be available.');
    if (!await moveBackup(deps, b.id, 'available', 'restoring')) {
      await updateVolume(deps.db, v.id, { status: 'available' }, ['restoring-backup']);
      throw invalidBackup('Backup status must be available.');
    }
    await deps.volume.cast('restoreBackup', { backup: { id: b.id, location: b.location }, volume: { id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation } },
      busContext(req), { server: b.host });
    return reply.code(202).send({ restore: { backup_id: b.id, volume_id: v.id, volume_name: (await getVolume(deps.db, v.id))?.name ?? null } });
  });
}
