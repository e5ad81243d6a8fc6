// Volumes: create (blank, from a snapshot, from a volume), list/detail with filters, sorting and pagination, show,
// update and delete (cascade deletes snapshots), as Cinder's volumes API. The API records and hands off: the
// scheduler places new volumes, the volume service does the work, the conductor records how it went.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import type { Volume } from '../domain/models.ts';
import { DELETABLE, SNAPSHOT_DELETABLE } from '../domain/volume-states.ts';
import { invalidAvailabilityZone, invalidInput, invalidSnapshot, invalidVolume, perVolumeSizeExceeded } from '../domain/errors.ts';
import { deleteVolumeRow, getVolume, updateVolume } from '../db/volumes-repo.ts';
import { setMetadata } from '../db/metadata-repo.ts';
import { getLimits, insertVolumeWithinQuota } from '../db/quotas-repo.ts';
import { snapshotsOfVolume, updateSnapshot } from '../db/snapshots-repo.ts';
import { listServices } from '../db/services-repo.ts';
import { volumeServer } from '../rpc/volume-rpc.ts';
import { toBusContext } from '#lib/bus/index.ts';
import { createImageClient } from '#services/image/contract/client.ts';
import { authorize, busContext, callerOf, loadSnapshot, loadVolume, pathProject } from './deps.ts';
import type { BlockStorageApiDeps, Caller } from './deps.ts';
import { renderVolume } from './volume-render.ts';
import { findType } from './volume-types-lookup.ts';
import { listVolumesPage } from './volume-list.ts';
import { createVolumeBody, listVolumesQuery, updateVolumeBody } from './schemas/volumes.ts';

export const volumeIdParam = (req: FastifyRequest): string => (req.params as { volume_id: string }).volume_id;

interface CreateBody {
  volume: {
    name?: string | null; description?: string | null; display_name?: string | null; display_description?: string | null;
    size?: number | string | null; availability_zone?: string | null; source_volid?: string | null; snapshot_id?: string | null;
    backup_id?: string | null; volume_type?: string | null; metadata?: Record<string, string> | null; multiattach?: boolean | null;
    imageRef?: string | null; image_id?: string | null; consistencygroup_id?: string | null; group_id?: string | null; source_replica?: string | null;
  };
}

const GiB = 1024 ** 3;

/**
 * The image a volume is to be made from, read with the user's token (so only images the user may see), and what
 * the volume needs from it: its size in GiB (virtual size when known, at least min_disk) and volume_image_metadata.
 */
async function imageSource(deps: BlockStorageApiDeps, req: FastifyRequest, id: string) {
  const endpoint = await deps.images?.endpoint();
  if (!endpoint) throw new BadRequest('Creating a volume from an image needs the Image service, which this cloud\'s catalog does not list.');
  const invalid = () => new BadRequest(`Invalid image identifier or unable to access requested image.`);
  const auth = { token: req.ctx.authToken ?? '', serviceToken: await deps.images!.serviceToken(), globalRequestId: req.ctx.globalRequestId };
  const image = await createImageClient({ endpoint }).getImage(id, auth).catch(() => undefined);
  if (!image) throw invalid();
  if (image.status !== 'active') throw invalidInput(`Image ${id} is not active.`);
  if (image.disk_format !== 'qcow2' && image.disk_format !== 'raw') throw invalidInput(`Image ${id} has disk_format ${image.disk_format}; volumes can be made from qcow2 or raw images.`);
  const bytes = image.virtual_size ?? image.size ?? 0;
  const sizeGb = Math.max(Math.ceil(bytes / GiB), image.min_disk ?? 0);
  const metadata: Record<string, string> = {
    image_id: image.id, image_name: image.name ?? '', disk_format: image.disk_format, container_format: image.container_format ?? '',
    min_disk: String(image.min_disk ?? 0), min_ram: String(image.min_ram ?? 0), size: String(image.size ?? 0), checksum: image.checksum ?? '',
  };
  return { endpoint, sizeGb, metadata };
}

/** Zones with a volume service, plus the configured one (a fresh cloud whose volume service has not reported yet). */
export async function knownZones(deps: BlockStorageApiDeps): Promise<Set<string>> {
  const services = await listServices(deps.db, { binary: 'cinder-volume' });
  return new Set([deps.settings.defaultZone, ...services.map((s) => s.availability_zone)]);
}

async function createVolume(deps: BlockStorageApiDeps, req: FastifyRequest, caller: Caller): Promise<Volume> {
  const projectId = pathProject(req);
  authorize(deps, caller, 'volume:create', projectId);
  const b = (req.body as CreateBody).volume;
  if (b.backup_id) throw new BadRequest('Creating a volume from a backup is not supported by this cloud yet.');
  if (b.consistencygroup_id || b.group_id || b.source_replica) throw new BadRequest('Volume groups and replicas are not supported by this cloud.');
  const imageId = b.imageRef ?? b.image_id ?? undefined;
  if ([b.snapshot_id, b.source_volid, imageId].filter(Boolean).length > 1) throw invalidInput('Cannot create a volume from more than one source (snapshot, source volume, image).');
  let size = b.size === undefined || b.size === null ? undefined : Number(b.size);
  let zone = b.availability_zone ?? undefined;
  let bootable = false;
  const snapshot = b.snapshot_id ? await loadSnapshot(deps, caller, b.snapshot_id, 'volume:get_snapshot') : undefined;
  const source = b.source_volid ? await loadVolume(deps, caller, b.source_volid, 'volume:get') : undefined;
  if (snapshot) {
    if (snapshot.status !== 'available') throw invalidSnapshot(`Originating snapshot status must be one of 'available' values`);
    size ??= snapshot.size;
    if (size < snapshot.size) throw invalidInput(`Volume size '${size}'GB cannot be smaller than the snapshot size ${snapshot.size}GB. They must be >= original snapshot size.`);
    const parent = await getVolume(deps.db, snapshot.volumeId);
    zone ??= parent?.availabilityZone;
    bootable = parent?.bootable ?? false;
  }
  if (source) {
    if (!['available', 'in-use'].includes(source.status)) throw invalidVolume(`Source volume status must be one of 'available', 'in-use' values`);
    size ??= source.size;
    if (size < source.size) throw invalidInput(`Volume size '${size}'GB cannot be smaller than original volume size ${source.size}GB. They must be >= original volume size.`);
    zone ??= source.availabilityZone;
    bootable = source.bootable;
  }
  const image = imageId ? await imageSource(deps, req, imageId) : undefined;
  if (image) {
    size ??= Math.max(image.sizeGb, 1);
    if (size < image.sizeGb) throw invalidInput(`Size of specified image ${image.sizeGb}GB is larger than volume size ${size}GB.`);
    bootable = true;
  }
  if (size === undefined) throw invalidInput(`Volume size '${String(b.size)}' must be an integer and greater than 0`);
  zone ??= deps.settings.defaultZone;
  if (!(await knownZones(deps)).has(zone)) throw invalidAvailabilityZone(zone);
  const type = await findType(deps, caller, b.volume_type);
  const limits = await getLimits(deps.db, projectId, deps.settings.quotaDefaults);
  if (limits.per_volume_gigabytes >= 0 && size > limits.per_volume_gigabytes) throw perVolumeSizeExceeded(size, limits.per_volume_gigabytes);
  const now = new Date().toISOString();
  const volume: Volume = {
    id: randomUUID(), projectId, userId: caller.userId, name: b.name ?? b.display_name ?? null, description: b.description ?? b.display_description ?? null,
    size, status: 'creating', attachStatus: 'detached', host: null, availabilityZone: zone, volumeTypeId: type.id,
    snapshotId: snapshot?.id ?? null, sourceVolid: source?.id ?? null, backupId: null, imageMetadata: image?.metadata ?? null, bootable, readOnly: false,
    multiattach: b.multiattach === true || /^<is>\s*true$/i.test(type.extraSpecs.multiattach ?? ''),
    providerLocation: null, format: type.extraSpecs.volume_format ?? deps.settings.defaultFormat, createdAt: now, updatedAt: now, launchedAt: null,
  };
  if (!['qcow2', 'raw'].includes(volume.format)) throw invalidVolume(`volume type ${type.name} asks for unknown volume_format ${volume.format}`);
  await insertVolumeWithinQuota(deps.db, volume, b.metadata ?? {}, deps.settings.quotaDefaults);
  try {
    // An image source travels with the user's token: the volume service reads the image as the user.
    await deps.scheduler.cast('createVolume', { volumeId: volume.id, ...(image ? { imageEndpoint: image.endpoint } : {}) },
      image ? toBusContext(req.ctx, { forwardToken: true }) : busContext(req));
  } catch (err) {
    await updateVolume(deps.db, volume.id, { status: 'error' }, ['creating']);
    throw err;
  }
  return volume;
}

/** Marks the volume (and with cascade its snapshots) deleting and hands the work to its volume service. */
async function deleteVolume(deps: BlockStorageApiDeps, req: FastifyRequest, v: Volume, opts: { cascade: boolean; force: boolean }): Promise<void> {
  const notDeletable = 'Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.';
  if (v.attachStatus === 'attached' && !opts.force) throw invalidVolume('Volume must not be attached to be deleted.');
  if ((!opts.force && !DELETABLE.includes(v.status)) || v.status === 'deleting') throw invalidVolume(notDeletable);
  // Conditional on the status just checked: a concurrent attach or delete makes this one fail instead of both winning.
  // Snapshots are counted after the switch, since no snapshot can be started of a volume that is deleting.
  if (!await updateVolume(deps.db, v.id, { status: 'deleting' }, [v.status])) throw invalidVolume(notDeletable);
  const snapshots = await snapshotsOfVolume(deps.db, v.id);
  const refusal = snapshots.length > 0 && !opts.cascade ? invalidVolume(`Volume still has ${snapshots.length} dependent snapshots.`)
    : opts.cascade && snapshots.some((s) => !SNAPSHOT_DELETABLE.includes(s.status)) ? invalidVolume('Snapshot of volume not in a deletable state.') : undefined;
  if (refusal) {
    await updateVolume(deps.db, v.id, { status: v.status }, ['deleting']);
    throw refusal;
  }
  if (!v.host) {
    // Never placed on a backend: no data anywhere, only the record.
    await deleteVolumeRow(deps.db, v.id);
    return;
  }
  const ctx = busContext(req);
  const server = { server: volumeServer(v.host) };
  for (const s of snapshots) {
    if (await updateSnapshot(deps.db, s.id, { status: 'deleting' }, SNAPSHOT_DELETABLE)) {
      await deps.volume.cast('deleteSnapshot', { snapshot: { id: s.id, volumeId: v.id, location: s.providerLocation }, reason: 'delete' }, ctx, server);
    }
  }
  await deps.volume.cast('deleteVolume', { volume: { id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation }, reason: 'delete' }, ctx, server);
}

export { deleteVolume };

export function registerVolumes(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  const base = '/volumes';
  app.get(base, { schema: { querystring: listVolumesQuery } }, async (req) => listVolumesPage(deps, req, false));
  app.get(`${base}/detail`, { schema: { querystring: listVolumesQuery } }, async (req) => listVolumesPage(deps, req, true));

  app.post(base, { schema: { body: createVolumeBody } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const volume = await createVolume(deps, req, caller);
    return reply.code(202).send({ volume: await renderVolume(deps, req, caller, volume) });
  });

  app.get(`${base}/:volume_id`, async (req) => {
    const caller = callerOf(deps, req);
    return { volume: await renderVolume(deps, req, caller, await loadVolume(deps, caller, volumeIdParam(req), 'volume:get')) };
  });

  app.put(`${base}/:volume_id`, { schema: { body: updateVolumeBody } }, async (req) => {
    const caller = callerOf(deps, req);
    const v = await loadVolume(deps, caller, volumeIdParam(req), 'volume:update');
    const b = (req.body as { volume: { name?: string | null; description?: string | null; display_name?: string | null; display_description?: string | null; metadata?: Record<string, string> } }).volume;
    const name = b.name !== undefined ? b.name : b.display_name;
    const description = b.description !== undefined ? b.description : b.display_description;
    await updateVolume(deps.db, v.id, { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) });
    if (b.metadata) await setMetadata(deps.db, 'volume_metadata', v.id, b.metadata, true);
    return { volume: await renderVolume(deps, req, caller, (await getVolume(deps.db, v.id))!) };
  });

  app.delete(`${base}/:volume_id`, async (req, reply) => {
    const caller = callerOf(deps, req);
    const v = await loadVolume(deps, caller, volumeIdParam(req), 'volume:delete');
    const q = req.query as { cascade?: string; force?: string };
    const flag = (s: string | undefined, name: string) => {
      if (s === undefined) return false;
      if (!['true', 'false', '1', '0', 'yes', 'no'].includes(s.toLowerCase())) throw invalidInput(`${name} must be a boolean, not ${s}`);
      return ['true', '1', 'yes'].includes(s.toLowerCase());
    };
    const cascade = flag(q.cascade, 'cascade');
    const force = flag(q.force, 'force');
    if (force) authorize(deps, caller, 'volume_extension:volume_admin_actions:force_delete', v.projectId);
    await deleteVolume(deps, req, v, { cascade, force });
    return reply.code(202).send();
  });
}
