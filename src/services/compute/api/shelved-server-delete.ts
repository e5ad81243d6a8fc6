// What deleting a shelved server releases beyond the agent's terminate, as Nova's API does: the shelved image goes
// from Image, and a server on no host (offloaded, or failed to unshelve) has its ports deleted or unbound here, since
// no agent holds them (Nova's local delete; its volumes are released beside this, in servers.ts).
import type { FastifyRequest } from 'fastify';
import type { Instance } from '../domain/instance.ts';
import { SHELVE_KEYS, shelveRecordOf } from '../domain/shelve.ts';
import { TaskState } from '../domain/vm-states.ts';
import { getSystemMetadata, updateSystemMetadata } from '../db/system-metadata-repo.ts';
import type { ComputeApiDeps } from './deps.ts';

/** Task states in which shelve's work is under way: a delete waits for it (409), as for a rebuild or a resize. */
export const SHELVE_TASK_STATES: string[] = [TaskState.shelving, TaskState.shelvingImagePendingUpload, TaskState.shelvingImageUploading,
  TaskState.shelvingOffloading, TaskState.unshelving];

export async function releaseShelvedServer(deps: ComputeApiDeps, req: FastifyRequest, server: Instance): Promise<void> {
  const warn = (what: string) => (err: unknown) => deps.log.warn({ instance: server.uuid, err: (err as Error).message, requestId: req.ctx.requestId }, what);
  const shelve = shelveRecordOf(await getSystemMetadata(deps.db, server.uuid));
  if (shelve.imageId) {
    const images = await deps.image();
    const auth = { token: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId };
    if (images) await images.deleteImage(shelve.imageId, auth).catch(warn('cannot delete the shelved image of a deleted server'));
    await updateSystemMetadata(deps.db, server.uuid, { remove: SHELVE_KEYS });
  }
  if (server.host || !server.networkInfo.length) return;
  const network = await deps.network();
  if (!network) return;
  const ctx = { globalRequestId: req.ctx.globalRequestId };
  for (const p of server.networkInfo) {
    // Ports compute made go with the server; the user's own ports are kept, unbound (Nova's preserve_on_delete).
    if (p.createdByCompute) await network.deletePort(p.portId, ctx).catch(warn(`cannot delete port ${p.portId}`));
    else await network.updatePort(p.portId, { 'binding:host_id': '', device_id: '', device_owner: '' }, ctx).catch(warn(`cannot unbind port ${p.portId}`));
  }
}
