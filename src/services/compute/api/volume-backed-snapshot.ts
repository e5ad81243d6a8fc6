// createImage of a volume-backed server, as Nova's snapshot_volume_backed does it, in the API alone: every volume of
// the server is snapshotted in Block Storage (forced, as it may be in use) with the caller's token, and the image is
// an empty one (size 0, active) whose properties carry the mappings to make the volumes again — block_device_mapping
// (JSON), bdm_v2 and root_device_name. Booting from it creates volumes from those snapshots (image-defined-bdms.ts).
// Stratus waits for the snapshots to be available before it registers the image (Nova does not), so a boot from the
// image right after createImage finds them usable. No guest agent: nothing is quiesced (Nova goes on without it too).
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { BadRequest, Forbidden, ServiceUnavailable, StratusError } from '#lib/errors.ts';
import type { BlockStorageClient, CallAuth } from '#services/block-storage/contract/client.ts';
import type { ImageRecord } from '#services/image/contract/client.ts';
import type { Instance } from '../domain/instance.ts';
import { listAllBdms } from '../db/bdm-repo.ts';
import type { BlockDeviceMappingRow } from '../db/tables.ts';
import { finishEvent, startEvent } from '../db/actions-repo.ts';
import type { ComputeApiDeps } from './deps.ts';
import { volumeAuth } from './block-device-storage.ts';

/** One entry of the image's block_device_mapping property (Nova's BlockDeviceDict.get_image_mapping()). */
export interface ImageBdm {
  source_type: 'snapshot' | 'blank';
  destination_type: 'volume' | 'local';
  snapshot_id: string | null;
  volume_id: null;
  image_id: null;
  boot_index: number | null;
  device_name: string;
  volume_size: number;
  delete_on_termination: boolean;
  disk_bus: string | null;
  device_type: string | null;
  guest_format: string | null;
  no_device: null;
  tag: null;
  volume_type: null;
}

export interface SnapshotWait {
  timeoutMs: number;
  pollMs: number;
}

const DEFAULT_WAIT: SnapshotWait = { timeoutMs: 120_000, pollMs: 250 };

async function waitSnapshotAvailable(volumes: BlockStorageClient, auth: CallAuth, id: string, wait: SnapshotWait): Promise<void> {
  const deadline = Date.now() + wait.timeoutMs;
  for (;;) {
    const s = await volumes.getSnapshot(id, auth);
    if (s?.status === 'available') return;
    if (!s || s.status === 'error') throw new BadRequest(`Snapshot ${id} of the server's volume failed in Block Storage (status ${s?.status ?? 'gone'}).`);
    if (Date.now() > deadline) throw new ServiceUnavailable(`Snapshot ${id} did not become available within ${wait.timeoutMs / 1000} s (status ${s.status}).`);
    await new Promise((r) => setTimeout(r, wait.pollMs));
  }
}

/** Deletes what a failed snapshot made, once Block Storage lets it (a snapshot still creating cannot go). */
async function removeSnapshots(volumes: BlockStorageClient, auth: CallAuth, ids: string[], wait: SnapshotWait): Promise<void> {
  for (const id of ids) {
    await waitSnapshotAvailable(volumes, auth, id, { ...wait, timeoutMs: Math.min(wait.timeoutMs, 30_000) }).catch(() => undefined);
    await volumes.deleteSnapshot(id, auth).catch(() => undefined);
  }
}

/** Block Storage's refusal of a snapshot as Nova answers it: over quota is a 403, other refusals a 400. */
function snapshotRefused(volumeId: string, err: unknown): Error {
  if (err instanceof StratusError && err.status === 413) return new Forbidden(`Quota exceeded for resources: ['snapshots']: ${err.message}`);
  if (err instanceof StratusError && err.status < 500) return new BadRequest(`Invalid volume: volume ${volumeId} cannot be snapshotted: ${err.message}`);
  return err as Error;
}

function imageMapping(row: BlockDeviceMappingRow, snapshotId: string, size: number): ImageBdm {
  return {
    source_type: 'snapshot', destination_type: 'volume', snapshot_id: snapshotId, volume_id: null, image_id: null,
    boot_index: row.boot_index ?? null, device_name: row.device_name, volume_size: row.volume_size ?? size,
    delete_on_termination: Boolean(row.delete_on_termination), disk_bus: row.disk_bus ?? null, device_type: row.device_type ?? null,
    guest_format: null, no_device: null, tag: null, volume_type: null,
  };
}

function localMapping(row: BlockDeviceMappingRow): ImageBdm {
  return {
    source_type: 'blank', destination_type: 'local', snapshot_id: null, volume_id: null, image_id: null, boot_index: -1,
    device_name: row.device_name, volume_size: row.volume_size ?? 0, delete_on_termination: true, disk_bus: row.disk_bus ?? null,
    device_type: row.device_type ?? null, guest_format: row.guest_format ?? null, no_device: null, tag: null, volume_type: null,
  };
}

/**
 * Snapshots every volume of `server` and registers the image of mappings; returns it. The caller checked the server's
 * state and recorded the createImage action under this request. Nothing is left behind on failure.
 */
export async function snapshotVolumeBacked(deps: ComputeApiDeps, req: FastifyRequest, server: Instance, args: {
  name: string; metadata: Record<string, string>; callerProjectId: string; wait?: SnapshotWait;
}): Promise<ImageRecord> {
  const wait = args.wait ?? DEFAULT_WAIT;
  const volumes = await deps.volumes();
  if (!volumes) throw new ServiceUnavailable('Block Storage is not in the catalog.');
  const images = await deps.image();
  if (!images) throw new ServiceUnavailable('The Image service is not in the catalog.');
  const auth = await volumeAuth(deps, req);
  const imageAuth = { token: auth.userToken, serviceToken: auth.serviceToken, globalRequestId: auth.globalRequestId };
  const all = await listAllBdms(deps.db, server.uuid);
  const rows = all.filter((b) => b.volume_id);
  const made: string[] = [];
  await startEvent(deps.db, server.uuid, req.ctx.requestId, 'api_snapshot_instance', null);
  try {
    // Local blank disks (ephemeral, swap) go into the image as they are, as Nova's non-volume mappings do.
    const mapping: ImageBdm[] = all.filter((b) => b.destination_type === 'local').map(localMapping);
    for (const row of rows) {
      const volume = await volumes.getVolume(row.volume_id!, auth);
      if (!volume) throw new BadRequest(`Volume ${row.volume_id} of the server could not be found.`);
      const snapshot = await volumes.createSnapshot({ volumeId: volume.id, name: `snapshot for ${args.name}`, description: volume.description ?? '', force: true }, auth)
        .catch((err: unknown) => { throw snapshotRefused(volume.id, err); });
      made.push(snapshot.id);
      mapping.push(imageMapping(row, snapshot.id, volume.size));
    }
    for (const id of made) await waitSnapshotAvailable(volumes, auth, id, wait);
    const root = mapping.find((m) => m.boot_index === 0);
    const image = await images.createImage({
      // Nova sends qcow2; Stratus's Image checks the data against disk_format, and zero bytes are raw.
      ...args.metadata, name: args.name, disk_format: 'raw', container_format: 'bare',
      // Another project's server (an admin's snapshot): shared, and says whose it was, so its owner can be given it.
      ...(args.callerProjectId === server.projectId ? { visibility: 'private' } : { visibility: 'shared', instance_owner: server.projectId }),
      ...(root ? { root_device_name: root.device_name } : {}),
      ...(mapping.length ? { block_device_mapping: JSON.stringify(mapping), bdm_v2: 'True' } : {}),
    }, imageAuth);
    try {
      // Nova's force_activate: an empty upload makes the image active with size 0.
      await images.upload(image.id, Readable.from([]), imageAuth);
    } catch (err) {
      await images.deleteImage(image.id, imageAuth).catch(() => undefined);
      throw err;
    }
    await finishEvent(deps.db, server.uuid, req.ctx.requestId, 'api_snapshot_instance', { ok: true });
    return image;
  } catch (err) {
    await finishEvent(deps.db, server.uuid, req.ctx.requestId, 'api_snapshot_instance', { ok: false, error: (err as Error).message });
    await removeSnapshots(volumes, auth, made, wait);
    throw err;
  }
}
