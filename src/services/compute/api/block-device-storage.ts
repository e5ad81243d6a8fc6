// The API's side of a server's block device mappings: recording the plan (an existing volume is reserved for the
// server with a Block Storage attachment at once, as Nova's API does, so nobody else takes it before the build), and
// releasing them when a server that no agent holds goes away.
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { BadRequest, StratusError } from '#lib/errors.ts';
import type { CallAuth } from '#services/block-storage/contract/client.ts';
import { deleteAllBdms, insertBdm, listAllBdms } from '../db/bdm-repo.ts';
import type { BootPlan } from './block-device-mapping.ts';
import type { ComputeApiDeps } from './deps.ts';

export async function volumeAuth(deps: ComputeApiDeps, req: FastifyRequest): Promise<CallAuth> {
  return { userToken: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId };
}

/**
 * Records the plan's mappings for one server, reserving the volumes it names. On failure what it reserved is
 * released and the error is a 400 saying which volume could not be had.
 */
export async function recordBlockDevices(deps: ComputeApiDeps, req: FastifyRequest, instanceUuid: string, plan: BootPlan): Promise<void> {
  if (!plan.mappings.length) return;
  const volumes = await deps.volumes();
  if (!volumes && plan.mappings.some((m) => m.volumeId)) throw new BadRequest('Block Storage is not available in this cloud.');
  const auth = await volumeAuth(deps, req);
  try {
    for (const m of plan.mappings) {
      let attachmentId: string | null = null;
      if (m.volumeId) {
        try {
          attachmentId = (await volumes!.createAttachment({ volumeId: m.volumeId, instanceUuid }, auth)).id;
        } catch (err) {
          const why = err instanceof StratusError && err.status < 500 ? err.message : 'Block Storage refused to reserve it';
          throw new BadRequest(`Invalid volume: volume ${m.volumeId} cannot be reserved for the server: ${why}`);
        }
      }
      await insertBdm(deps.db, {
        id: randomUUID(), instance_uuid: instanceUuid, volume_id: m.volumeId, attachment_id: attachmentId, device_name: m.deviceName,
        delete_on_termination: m.deleteOnTermination, created_at: new Date().toISOString(), source_type: m.sourceType, destination_type: m.destinationType,
        boot_index: m.bootIndex, source_id: m.sourceId, volume_size: m.volumeSize, guest_format: m.guestFormat, disk_bus: m.diskBus,
        device_type: m.deviceType, tag: m.tag, volume_type: m.volumeType,
      });
    }
  } catch (err) {
    await releaseBlockDevices(deps, auth, instanceUuid, { deleteVolumes: false }).catch((e: unknown) =>
      req.log.warn({ err: (e as Error).message, instance: instanceUuid }, 'cannot release the reserved volumes'));
    throw err;
  }
}

/**
 * Releases every mapping of a server no agent holds: attachments deleted (the volumes are available again), and with
 * `deleteVolumes` the volumes marked delete_on_termination deleted; then the rows go. Safe to run twice.
 */
export async function releaseBlockDevices(deps: ComputeApiDeps, auth: CallAuth, instanceUuid: string, opts: { deleteVolumes: boolean }): Promise<void> {
  const rows = await listAllBdms(deps.db, instanceUuid);
  if (!rows.length) return;
  const volumes = await deps.volumes();
  if (!rows.some((b) => b.volume_id || b.attachment_id)) {
    await deleteAllBdms(deps.db, instanceUuid); // local disks only: nothing in Block Storage to release
    return;
  }
  if (!volumes) throw new BadRequest('Block Storage is not available in this cloud.');
  for (const b of rows) {
    if (b.attachment_id) await volumes.deleteAttachment(b.attachment_id, auth);
    // A volume Block Storage will not delete (it has snapshots, say) is kept, as Nova's delete keeps it.
    if (opts.deleteVolumes && b.delete_on_termination && b.volume_id) await volumes.deleteVolume(b.volume_id, auth).catch(() => false);
  }
  await deleteAllBdms(deps.db, instanceUuid);
}
