// os-volume_attachments: attach a Block Storage volume to a server (the API reserves it with an attachment and
// records the mapping; the server's agent connects and plugs it), list and show attachments, detach.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { isUniqueViolation } from '#lib/db/index.ts';
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import type { BlockStorageClient } from '#services/block-storage/contract/client.ts';
import { VmState } from '../domain/vm-states.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { deleteBdm, getBdm, insertBdm, listAllBdms, listBdms, nextDeviceName, setDeleteOnTermination } from '../db/bdm-repo.ts';
import type { BlockDeviceMappingRow } from '../db/tables.ts';
import { startAction } from '../db/actions-repo.ts';
import { assertUnlocked, loadServer, unexpected } from './servers.ts';
import { atLeast } from './microversion.ts';
import type { ComputeApiDeps } from './deps.ts';

const attachBody = {
  type: 'object', required: ['volumeAttachment'], additionalProperties: false,
  properties: {
    volumeAttachment: {
      type: 'object', required: ['volumeId'], additionalProperties: false,
      properties: {
        volumeId: { type: 'string', minLength: 1 }, device: { type: ['string', 'null'], pattern: '^/dev/[a-z]+$' },
        // tag needs 2.49, delete_on_termination 2.79 (checked below).
        tag: { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' }, delete_on_termination: { type: 'boolean' },
      },
    },
  },
} as const;

/** An attachment per microversion: tag from 2.70, delete_on_termination from 2.79, attachment_id and bdm_uuid instead of id from 2.89. */
/** PUT's body: the attachment as shown, of which only volumeId and (2.85) delete_on_termination matter. */
const updateBody = {
  type: 'object', required: ['volumeAttachment'], additionalProperties: false,
  properties: {
    volumeAttachment: {
      type: 'object', required: ['volumeId'], additionalProperties: false,
      properties: {
        volumeId: { type: 'string', minLength: 1 }, delete_on_termination: { type: 'boolean' }, device: { type: ['string', 'null'] },
        tag: { type: ['string', 'null'] }, id: { type: 'string' }, serverId: { type: 'string' }, bdm_uuid: { type: 'string' }, attachment_id: { type: 'string' },
      },
    },
  },
} as const;

const view = (req: FastifyRequest) => (b: BlockDeviceMappingRow) => ({
  ...(atLeast(req, 89) ? {} : { id: b.volume_id }), serverId: b.instance_uuid, volumeId: b.volume_id, device: b.device_name,
  ...(atLeast(req, 70) ? { tag: b.tag ?? null } : {}), ...(atLeast(req, 79) ? { delete_on_termination: Boolean(b.delete_on_termination) } : {}),
  ...(atLeast(req, 89) ? { attachment_id: b.attachment_id, bdm_uuid: b.id } : {}),
});

async function volumesClient(deps: ComputeApiDeps): Promise<BlockStorageClient> {
  const c = await deps.volumes();
  if (!c) throw new BadRequest('Block Storage is not available in this cloud.');
  return c;
}

const ATTACHABLE: string[] = [VmState.active, VmState.stopped, VmState.paused, VmState.suspended];

export function registerVolumeAttachments(app: FastifyInstance, deps: ComputeApiDeps): void {
  const auth = async (req: FastifyRequest) => ({ userToken: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId });

  app.get('/v2.1/servers/:server_id/os-volume_attachments', async (req) => {
    const { server } = await loadServer(deps, req, 'os_compute_api:os-volumes-attachments:index');
    return { volumeAttachments: (await listBdms(deps.db, [server.uuid])).map(view(req)) };
  });

  app.get('/v2.1/servers/:server_id/os-volume_attachments/:volume_id', async (req) => {
    const { server } = await loadServer(deps, req, 'os_compute_api:os-volumes-attachments:show');
    const volumeId = (req.params as { volume_id: string }).volume_id;
    const bdm = await getBdm(deps.db, server.uuid, volumeId);
    if (!bdm) throw new NotFound(`Volume ${volumeId} is not attached to the instance ${server.uuid}`);
    return { volumeAttachment: view(req)(bdm) };
  });

  app.post('/v2.1/servers/:server_id/os-volume_attachments', { schema: { body: attachBody } }, async (req) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-volumes-attachments:create');
    assertUnlocked(caller, server);
    if (!server.host || !ATTACHABLE.includes(server.vmState) || server.taskState !== null) {
      throw instanceInvalidState('vm_state', server.vmState, server.uuid, 'attach_volume');
    }
    const { volumeId, device, tag, delete_on_termination: deleteOnTermination } =
      (req.body as { volumeAttachment: { volumeId: string; device?: string | null; tag?: string; delete_on_termination?: boolean } }).volumeAttachment;
    if (tag !== undefined && !atLeast(req, 49)) throw unexpected('volumeAttachment', 'tag');
    if (deleteOnTermination !== undefined && !atLeast(req, 79)) throw unexpected('volumeAttachment', 'delete_on_termination');
    const volumes = await volumesClient(deps);
    const volume = await volumes.getVolume(volumeId, await auth(req));
    if (!volume) throw new NotFound(`Volume ${volumeId} could not be found.`);
    if (await getBdm(deps.db, server.uuid, volumeId)) throw new Conflict(`Volume ${volumeId} is already attached to the instance ${server.uuid}`);
    if (volume.status !== 'available' && !(volume.multiattach && volume.status === 'in-use')) {
      throw new BadRequest(`Invalid volume: volume ${volumeId} status must be available or in-use with multiattach, but is ${volume.status}`);
    }
    // Every mapping's device counts, local disks (ephemeral, swap) included.
    const taken = (await listAllBdms(deps.db, server.uuid)).map((b) => b.device_name);
    const name = device && !taken.includes(device) ? device : nextDeviceName(taken);
    // Block Storage reserves the volume for this server; the agent connects it with its host's connector.
    const attachment = await volumes.createAttachment({ volumeId, instanceUuid: server.uuid }, await auth(req));
    const row: BlockDeviceMappingRow = {
      id: randomUUID(), instance_uuid: server.uuid, volume_id: volumeId, attachment_id: attachment.id, device_name: name,
      delete_on_termination: deleteOnTermination ?? false, created_at: new Date().toISOString(), tag: tag ?? null,
    };
    try {
      await insertBdm(deps.db, row);
    } catch (err) {
      await volumes.deleteAttachment(attachment.id, await auth(req)).catch(() => undefined);
      if (isUniqueViolation(err)) throw new Conflict(`Volume ${volumeId} is already attached to the instance ${server.uuid}`);
      throw err;
    }
    await startAction(deps.db, {
      instanceUuid: server.uuid, action: 'attach_volume', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
      userId: caller.credentials.userId, projectId: server.projectId,
    });
    await deps.agents.cast('attach_volume', { uuid: server.uuid, volumeId, attachmentId: attachment.id, device: name },
      toBusContext(req.ctx, { forwardToken: true }), { server: server.host });
    return { volumeAttachment: view(req)(row) };
  });

  // PUT: from 2.85 the same volume with delete_on_termination updates it; another volume is Nova's swap, which
  // Stratus's drivers cannot do (no live block copy): refused before anything changes.
  app.put('/v2.1/servers/:server_id/os-volume_attachments/:volume_id', { schema: { body: updateBody } }, async (req, reply) => {
    const b = (req.body as { volumeAttachment: { volumeId: string; delete_on_termination?: boolean } }).volumeAttachment;
    const volumeId = (req.params as { volume_id: string }).volume_id;
    const swap = b.volumeId !== volumeId;
    if (!swap && !atLeast(req, 85)) throw new BadRequest('Updating an attachment needs microversion 2.85; before it PUT swaps volumes.');
    if (b.delete_on_termination !== undefined && !atLeast(req, 85)) throw unexpected('volumeAttachment', 'delete_on_termination');
    const { caller, server } = await loadServer(deps, req, swap ? 'os_compute_api:os-volumes-attachments:swap' : 'os_compute_api:os-volumes-attachments:update');
    if (!await getBdm(deps.db, server.uuid, volumeId)) throw new NotFound(`Volume ${volumeId} is not attached to the instance ${server.uuid}`);
    if (swap) throw new BadRequest('Swapping an attached volume for another is not supported by this cloud\'s compute drivers.');
    assertUnlocked(caller, server);
    if (b.delete_on_termination !== undefined) await setDeleteOnTermination(deps.db, server.uuid, volumeId, b.delete_on_termination);
    return reply.code(202).send();
  });

  app.delete('/v2.1/servers/:server_id/os-volume_attachments/:volume_id', async (req, reply) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-volumes-attachments:delete');
    assertUnlocked(caller, server);
    const volumeId = (req.params as { volume_id: string }).volume_id;
    const bdm = await getBdm(deps.db, server.uuid, volumeId);
    if (!bdm) throw new NotFound(`Volume ${volumeId} is not attached to the instance ${server.uuid}`);
    if (bdm.boot_index === 0) throw new BadRequest('Cannot detach a root device volume');
    if (!server.host) {
      await (await volumesClient(deps)).deleteAttachment(bdm.attachment_id, await auth(req));
      await deleteBdm(deps.db, server.uuid, volumeId);
      return reply.code(202).send();
    }
    await startAction(deps.db, {
      instanceUuid: server.uuid, action: 'detach_volume', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
      userId: caller.credentials.userId, projectId: server.projectId,
    });
    await deps.agents.cast('detach_volume', { uuid: server.uuid, volumeId, attachmentId: bdm.attachment_id }, toBusContext(req.ctx, { forwardToken: true }), { server: server.host });
    return reply.code(202).send();
  });
}
