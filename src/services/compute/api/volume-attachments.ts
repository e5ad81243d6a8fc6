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
import { deleteBdm, getBdm, insertBdm, listBdms, nextDeviceName } from '../db/bdm-repo.ts';
import type { BlockDeviceMappingRow } from '../db/tables.ts';
import { startAction } from '../db/actions-repo.ts';
import { assertUnlocked, loadServer } from './servers.ts';
import type { ComputeApiDeps } from './deps.ts';

const attachBody = {
  type: 'object', required: ['volumeAttachment'], additionalProperties: false,
  properties: {
    volumeAttachment: {
      type: 'object', required: ['volumeId'], additionalProperties: false,
      properties: { volumeId: { type: 'string', minLength: 1 }, device: { type: ['string', 'null'], pattern: '^/dev/[a-z]+$' } },
    },
  },
} as const;

const view = (b: BlockDeviceMappingRow) => ({ id: b.volume_id, serverId: b.instance_uuid, volumeId: b.volume_id, device: b.device_name });

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
    return { volumeAttachments: (await listBdms(deps.db, [server.uuid])).map(view) };
  });

  app.get('/v2.1/servers/:server_id/os-volume_attachments/:volume_id', async (req) => {
    const { server } = await loadServer(deps, req, 'os_compute_api:os-volumes-attachments:show');
    const volumeId = (req.params as { volume_id: string }).volume_id;
    const bdm = await getBdm(deps.db, server.uuid, volumeId);
    if (!bdm) throw new NotFound(`Volume ${volumeId} is not attached to the instance ${server.uuid}`);
    return { volumeAttachment: view(bdm) };
  });

  app.post('/v2.1/servers/:server_id/os-volume_attachments', { schema: { body: attachBody } }, async (req) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-volumes-attachments:create');
    assertUnlocked(caller, server);
    if (!server.host || !ATTACHABLE.includes(server.vmState) || server.taskState !== null) {
      throw instanceInvalidState('vm_state', server.vmState, server.uuid, 'attach_volume');
    }
    const { volumeId, device } = (req.body as { volumeAttachment: { volumeId: string; device?: string | null } }).volumeAttachment;
    const volumes = await volumesClient(deps);
    const volume = await volumes.getVolume(volumeId, await auth(req));
    if (!volume) throw new NotFound(`Volume ${volumeId} could not be found.`);
    if (await getBdm(deps.db, server.uuid, volumeId)) throw new Conflict(`Volume ${volumeId} is already attached to the instance ${server.uuid}`);
    if (volume.status !== 'available' && !(volume.multiattach && volume.status === 'in-use')) {
      throw new BadRequest(`Invalid volume: volume ${volumeId} status must be available or in-use with multiattach, but is ${volume.status}`);
    }
    const taken = (await listBdms(deps.db, [server.uuid])).map((b) => b.device_name);
    const name = device && !taken.includes(device) ? device : nextDeviceName(taken);
    // Block Storage reserves the volume for this server; the agent connects it with its host's connector.
    const attachment = await volumes.createAttachment({ volumeId, instanceUuid: server.uuid }, await auth(req));
    const row: BlockDeviceMappingRow = {
      id: randomUUID(), instance_uuid: server.uuid, volume_id: volumeId, attachment_id: attachment.id, device_name: name,
      delete_on_termination: false, created_at: new Date().toISOString(),
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
    return { volumeAttachment: view(row) };
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
