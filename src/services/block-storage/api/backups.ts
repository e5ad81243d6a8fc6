// Backups: chunked copies of a volume made by its volume service into the backup store in use (backup_driver: file
// containers on its host, or Object Storage in the owner's account). Create full or incremental (of an available
// volume; in-use with force; or of one of its snapshots, snapshot_id), list/detail, show, delete (not while increments of it exist), and restore into an
// existing volume or a new one; an incremental restore applies its chain from the full backup up.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import type { BusContext } from '#lib/bus/index.ts';
import { BadRequest, ServiceUnavailable } from '#lib/errors.ts';
import type { Volume } from '../domain/models.ts';
import { backupNotFound, invalidBackup, invalidInput, invalidSnapshot, invalidVolume } from '../domain/errors.ts';
import type { BackupRow } from '../db/tables.ts';
import { insertBackupWithinQuota, insertVolumeWithinQuota } from '../db/quotas-repo.ts';
import { getVolume, updateVolume } from '../db/volumes-repo.ts';
import { getBackup, latestChainableBackup, moveBackup, startBackupDelete, withDependents } from '../db/backups-repo.ts';
import { backupPrefix, chunkedLocation, parseChunkedLocation } from '../domain/backup-location.ts';
import type { BackupStoreKind } from '../domain/backup-location.ts';
import { volumeServer } from '../rpc/volume-rpc.ts';
import type { BackupRef } from '../rpc/volume-rpc.ts';
import { authorize, busContext, callerOf, loadSnapshot, loadVolume, pathProject } from './deps.ts';
import { updateSnapshot } from '../db/snapshots-repo.ts';
import type { BlockStorageApiDeps, Caller } from './deps.ts';
import { atLeast } from './microversion.ts';
import { nextLink } from './views.ts';
import { backupView } from './backup-view.ts';
import { booleanish, descriptionField, metadataField, nameField, toBool, uuidField } from './schemas/common.ts';
import { findType } from './volume-types-lookup.ts';

const createBody = {
  type: 'object', required: ['backup'], additionalProperties: false,
  properties: {
    backup: {
      type: 'object', required: ['volume_id'], additionalProperties: false,
      properties: {
        volume_id: uuidField, name: nameField, description: descriptionField, container: { type: ['string', 'null'], maxLength: 255 },
        incremental: { anyOf: [booleanish, { type: 'null' }] }, force: { anyOf: [booleanish, { type: 'null' }] },
        snapshot_id: { anyOf: [uuidField, { type: 'null' }] }, metadata: { anyOf: [metadataField, { type: 'null' }] }, availability_zone: { type: ['string', 'null'] },
      },
    },
  },
} as const;

const restoreBody = {
  type: 'object', required: ['restore'], additionalProperties: false,
  properties: { restore: { type: ['object', 'null'], additionalProperties: false, properties: { volume_id: { anyOf: [uuidField, { type: 'null' }] }, name: nameField } } },
} as const;

interface CreateBackup {
  volume_id: string; name?: string | null; description?: string | null; container?: string | null; incremental?: boolean | string | null;
  force?: boolean | string | null; snapshot_id?: string | null; metadata?: Record<string, string> | null;
}

const idParam = (req: FastifyRequest): string => (req.params as { backup_id: string }).backup_id;

const CONTAINER_NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,255}$/;

/** The Object Storage account of the backup owner's project, for backups kept there. */
async function swiftUrlFor(deps: BlockStorageApiDeps, kind: BackupStoreKind, projectId: string): Promise<string | undefined> {
  if (kind !== 'swift') return undefined;
  const url = await deps.backups?.swiftAccountUrl(projectId);
  if (!url) throw new ServiceUnavailable('Object Storage is not in the catalog (or its endpoint names no AUTH_ account): backups in it cannot be reached.');
  return url;
}

/** The envelope context: with the user's token when the volume service must reach Object Storage with it. */
const contextFor = (req: FastifyRequest, swiftUrl: string | undefined): BusContext => (swiftUrl ? toBusContext(req.ctx, { forwardToken: true }) : busContext(req));

/** What the volume service needs to reach an existing backup's data. */
async function backupRef(deps: BlockStorageApiDeps, b: BackupRow): Promise<BackupRef> {
  const kind = parseChunkedLocation(b.location)?.kind;
  return { id: b.id, location: b.location, container: b.container, ...(kind ? { swiftUrl: await swiftUrlFor(deps, kind, b.project_id) } : {}) };
}

async function loadBackup(deps: BlockStorageApiDeps, caller: Caller, id: string, rule: string): Promise<BackupRow> {
  const b = await getBackup(deps.db, id);
  if (!b || (!caller.isAdmin && b.project_id !== caller.projectId)) throw backupNotFound(id);
  authorize(deps, caller, rule, b.project_id);
  return b;
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
  if (!await moveBackup(deps.db, b.id, 'available', 'restoring')) throw invalidBackup('Backup status must be available');
  try {
    await insertVolumeWithinQuota(deps.db, v, {}, deps.settings.quotaDefaults);
  } catch (err) {
    await moveBackup(deps.db, b.id, 'restoring', 'available');
    throw err;
  }
  const ref = await backupRef(deps, b);
  await deps.scheduler.cast('createVolume', { volumeId: v.id, ...(ref.swiftUrl ? { backupSwiftUrl: ref.swiftUrl } : {}) }, contextFor(req, ref.swiftUrl));
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
      const parents = detailed ? await withDependents(deps.db, rows.map((b) => b.id)) : new Set<string>();
      const body: Record<string, unknown> = { backups: rows.map((b) => backupView(req, b, detailed, parents.has(b.id))) };
      if (q.limit !== undefined && limit > 0 && rows.length === limit) body.backups_links = nextLink(req, `/v3/${pathProject(req)}${path}`, limit, rows.at(-1)!.id);
      return body;
    });
  }

  app.get(`${base}/:backup_id`, async (req) => {
    const b = await loadBackup(deps, callerOf(deps, req), idParam(req), 'backup:get');
    return { backup: backupView(req, b, true, (await withDependents(deps.db, [b.id])).has(b.id)) };
  });

  app.post(base, { schema: { body: createBody } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = (req.body as { backup: CreateBackup }).backup;
    const v = await loadVolume(deps, caller, b.volume_id, 'backup:create');
    if (b.metadata && !atLeast(req, 43)) throw new BadRequest('Invalid input for field/attribute backup. Value: metadata is allowed from microversion 3.43.');
    if (b.container !== undefined && b.container !== null && !CONTAINER_NAME.test(b.container)) {
      throw invalidInput(`container must be 1 to 255 letters, digits, '_', '.' or '-', not ${JSON.stringify(b.container)}`);
    }
    const incremental = b.incremental !== undefined && b.incremental !== null && toBool(b.incremental, 'incremental');
    const force = b.force !== undefined && b.force !== null && toBool(b.force, 'force');
    // A snapshot is read instead of the volume, which may then be in use without force (as in Cinder).
    const snapshot = b.snapshot_id ? await loadSnapshot(deps, caller, b.snapshot_id, 'volume:get_snapshot') : undefined;
    if (snapshot && snapshot.volumeId !== v.id) throw invalidVolume(`Snapshot ${snapshot.id} is not a snapshot of volume ${v.id}.`);
    if (snapshot && snapshot.status !== 'available') throw invalidSnapshot(`Snapshot to be backed up must be available, but the current status is "${snapshot.status}".`);
    const allowed = force || snapshot ? ['available', 'in-use'] : ['available'];
    if (!allowed.includes(v.status) || !v.host) {
      throw invalidVolume(v.status === 'in-use' ? 'Backing up an in-use volume must use the force flag.' : `Volume to be backed up must be available or in-use, but the current status is "${v.status}".`);
    }
    const kind = deps.backups?.store ?? 'file';
    const parent = incremental ? await latestChainableBackup(deps.db, v.id, `chunked+${kind}:`, snapshot?.createdAt) : undefined;
    if (incremental && !parent) throw invalidBackup('No backups available to do an incremental backup.');
    const swiftUrl = await swiftUrlFor(deps, kind, v.projectId);
    const now = new Date().toISOString();
    const id = randomUUID();
    const row: BackupRow = {
      id, project_id: v.projectId, user_id: caller.userId, volume_id: v.id, host: volumeServer(v.host), availability_zone: v.availabilityZone,
      name: b.name ?? null, description: b.description ?? null, size: v.size, status: 'creating', fail_reason: null,
      location: chunkedLocation(kind, backupPrefix(v.id, id)), container: b.container ?? parent?.container ?? deps.backups?.defaultContainer ?? 'volumebackups',
      parent_id: parent?.id ?? null, object_count: 0, data_timestamp: snapshot?.createdAt ?? now, snapshot_id: snapshot?.id ?? null, metadata: b.metadata ? JSON.stringify(b.metadata) : null, created_at: now, updated_at: now,
    };
    if (!await insertBackupWithinQuota(deps.db, row, v.status, deps.settings.quotaDefaults)) {
      throw snapshot ? invalidSnapshot(`Snapshot ${snapshot.id} changed status meanwhile.`) : invalidVolume(`Volume ${v.id} changed status meanwhile.`);
    }
    if (parent && (await getBackup(deps.db, parent.id))?.status !== 'available') {
      // The parent began to be deleted (or was) between the choice and the insert: undo, nothing changed.
      await deps.db.deleteFrom('backups').where('id', '=', id).execute();
      if (snapshot) await updateSnapshot(deps.db, snapshot.id, { status: 'available' }, ['backing-up']);
      else await updateVolume(deps.db, v.id, { status: v.status }, ['backing-up']);
      throw invalidBackup('No backups available to do an incremental backup.');
    }
    await deps.volume.cast('createBackup', {
      backup: { id, volumeId: v.id, store: kind, container: row.container!, swiftUrl, parent: parent ? { id: parent.id, location: parent.location!, container: parent.container! } : null,
        ...(snapshot ? { snapshot: { id: snapshot.id, volumeId: v.id, location: snapshot.providerLocation } } : {}) },
      volume: { id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation }, previousStatus: v.status,
    }, contextFor(req, swiftUrl), { server: row.host });
    return reply.code(202).send({ backup: backupView(req, row, false, false) });
  });

  app.delete(`${base}/:backup_id`, async (req, reply) => {
    const b = await loadBackup(deps, callerOf(deps, req), idParam(req), 'backup:delete');
    if (!['available', 'error'].includes(b.status)) throw invalidBackup(`Backup status must be available or error, but it is ${b.status}.`);
    const ref = await backupRef(deps, b);
    if (!await startBackupDelete(deps.db, b.id, b.status)) {
      if ((await withDependents(deps.db, [b.id])).has(b.id)) throw invalidBackup('Incremental backups exist for this backup.');
      throw invalidBackup('Backup status must be available or error.');
    }
    await deps.volume.cast('deleteBackup', { backup: ref }, contextFor(req, ref.swiftUrl), { server: b.host });
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
    if (!await moveBackup(deps.db, b.id, 'available', 'restoring')) {
      await updateVolume(deps.db, v.id, { status: 'available' }, ['restoring-backup']);
      throw invalidBackup('Backup status must be available.');
    }
    const ref = await backupRef(deps, b);
    await deps.volume.cast('restoreBackup', { backup: ref, volume: { id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation } },
      contextFor(req, ref.swiftUrl), { server: b.host });
    return reply.code(202).send({ restore: { backup_id: b.id, volume_id: v.id, volume_name: (await getVolume(deps.db, v.id))?.name ?? null } });
  });
}
