// The attach protocol's state machine, shared by the attachments API (3.27+, what Compute speaks) and the legacy
// os-reserve/os-attach/os-detach actions: available → reserved → attaching → in-use, and back to available when the
// last attachment goes. The volume's status is always derived from its attachments, under a conditional update.
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Attachment, Volume } from '../domain/models.ts';
import { ATTACHABLE, ATTACHABLE_MULTI } from '../domain/volume-states.ts';
import { invalidVolume } from '../domain/errors.ts';
import { attachmentsOf, deleteAttachmentRow, getAttachment, insertAttachment, updateAttachment } from '../db/attachments-repo.ts';
import { updateVolume } from '../db/volumes-repo.ts';
import { getType } from '../db/types-repo.ts';
import { getQos } from '../db/qos-repo.ts';
import { volumeServer } from '../rpc/volume-rpc.ts';
import type { VolumeRef } from '../rpc/volume-rpc.ts';
import { busContext } from './deps.ts';
import type { BlockStorageApiDeps } from './deps.ts';

const ATTACH_RELATED = ['available', 'reserved', 'attaching', 'in-use', 'detaching'];

const volumeRef = (v: Volume): VolumeRef => ({ id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation });

/** Sets the volume's status from its attachments: in-use if any is attached, else attaching/reserved, else available. */
export async function settleVolumeStatus(deps: BlockStorageApiDeps, volumeId: string): Promise<void> {
  const live = (await attachmentsOf(deps.db, volumeId)).filter((a) => a.status !== 'detached');
  const attached = live.some((a) => a.status === 'attached');
  const status = attached ? 'in-use' : live.some((a) => a.status === 'attaching') ? 'attaching' : live.length ? 'reserved' : 'available';
  await updateVolume(deps.db, volumeId, { status, attach_status: attached ? 'attached' : 'detached' }, ATTACH_RELATED);
}

/** Reserves the volume for an instance; a volume in use elsewhere (not multiattach) is a 400 and nothing changes. */
export async function reserve(deps: BlockStorageApiDeps, v: Volume, o: { instanceUuid: string | null; mode: 'rw' | 'ro'; status?: string }): Promise<Attachment> {
  const from = v.multiattach ? ATTACHABLE_MULTI : ATTACHABLE;
  const invalid = () => invalidVolume(`Volume ${v.id} status must be available or downloading to reserve, but the current status is ${v.status}.`);
  if (!from.includes(v.status)) throw invalid();
  const next = v.status === 'in-use' ? 'in-use' : o.status ?? 'reserved';
  if (!await updateVolume(deps.db, v.id, { status: next }, [v.status])) throw invalid();
  const now = new Date().toISOString();
  const attachment: Attachment = {
    id: randomUUID(), volumeId: v.id, instanceUuid: o.instanceUuid, attachedHost: null, mountpoint: null, status: o.status ?? 'reserved',
    attachMode: v.readOnly ? 'ro' : o.mode, connector: null, connectionInfo: null, attachedAt: null, detachedAt: null, createdAt: now,
  };
  await insertAttachment(deps.db, attachment);
  return attachment;
}

/**
 * Asks the volume's backend for connection info for `connector` (a call: the caller waits for it), adding the
 * type's front-end QoS specs for the hypervisor to enforce, as Cinder does.
 */
export async function initializeConnection(deps: BlockStorageApiDeps, req: FastifyRequest, v: Volume, connector: Record<string, unknown>, readOnly: boolean) {
  if (!v.host) throw invalidVolume(`Volume ${v.id} has no backend (status ${v.status}).`);
  const info = await deps.volume.call('initializeConnection', { volume: volumeRef(v), connector, readOnly }, busContext(req),
    { server: volumeServer(v.host), timeoutMs: deps.settings.rpcTimeoutMs });
  const qosId = (await getType(deps.db, v.volumeTypeId))?.qosSpecsId;
  const qos = qosId ? await getQos(deps.db, qosId) : undefined;
  return qos && qos.consumer !== 'back-end' ? { ...info, data: { ...info.data, qos_specs: qos.specs } } : info;
}

/** Connects an attachment: connection info from the backend, attachment and volume `attaching`. */
export async function connect(deps: BlockStorageApiDeps, req: FastifyRequest, v: Volume, a: Attachment, connector: Record<string, unknown>): Promise<Attachment> {
  const info = await initializeConnection(deps, req, v, connector, a.attachMode === 'ro');
  const connectionInfo = { ...info, attachment_id: a.id };
  const host = typeof connector.host === 'string' ? connector.host : null;
  const mountpoint = typeof connector.mountpoint === 'string' ? connector.mountpoint : null;
  await updateAttachment(deps.db, a.id, { connector, connectionInfo, attachedHost: host, mountpoint, status: a.status === 'attached' ? 'attached' : 'attaching' });
  await settleVolumeStatus(deps, v.id);
  return (await getAttachment(deps.db, a.id))!;
}

/** Marks an attachment attached and the volume in-use. */
export async function complete(deps: BlockStorageApiDeps, a: Attachment, extra: { mountpoint?: string | null; host?: string | null } = {}): Promise<void> {
  await updateAttachment(deps.db, a.id, {
    status: 'attached', attachedAt: new Date().toISOString(),
    ...(extra.mountpoint !== undefined ? { mountpoint: extra.mountpoint } : {}), ...(extra.host !== undefined ? { attachedHost: extra.host } : {}),
  });
  await settleVolumeStatus(deps, a.volumeId);
}

/** Removes an attachment (terminating its connection on the backend first) and settles the volume's status. */
export async function detach(deps: BlockStorageApiDeps, req: FastifyRequest, v: Volume, a: Attachment): Promise<void> {
  if (a.connectionInfo && v.host) {
    await deps.volume.call('terminateConnection', { volume: volumeRef(v), connector: a.connector }, busContext(req),
      { server: volumeServer(v.host), timeoutMs: deps.settings.rpcTimeoutMs });
  }
  await deleteAttachmentRow(deps.db, a.id);
  await settleVolumeStatus(deps, v.id);
}
