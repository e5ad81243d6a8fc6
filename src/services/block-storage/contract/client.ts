// The typed REST client of Block Storage: what Compute uses to look volumes up and attach them through the
// attachments API (microversion 3.44, which has complete), with the user's token and optionally its own service token.
import { RemoteError, ServiceUnavailable } from '#lib/errors.ts';
import type { AttachmentBody, Connector, SnapshotBody, VolumeBody } from './api-types.ts';

export type * from './api-types.ts';

export const VOLUME_MICROVERSION = '3.44';

export interface BlockStorageClientOptions {
  /** The catalog's block-storage URL, e.g. http://127.0.0.1:8776/v3 (with or without the project id). */
  endpoint: string;
  timeoutMs?: number;
}

export interface CallAuth {
  /** The user's token: Block Storage authorizes the user's project. */
  userToken: string;
  /** The calling service's own token, sent as X-Service-Token. */
  serviceToken?: string;
  /** The user action's request id, so logs of both services join up. */
  globalRequestId?: string;
}

/** A Block Storage error: status, Cinder's fault name as code, and its message. */
export class BlockStorageRequestError extends RemoteError {}

export interface BlockStorageClient {
  /** The volume, or undefined when it does not exist (or is not the user's). */
  getVolume(id: string, auth: CallAuth): Promise<VolumeBody | undefined>;
  /** Reserves the volume for the instance; with a connector, also connects it (connection_info filled in). */
  createAttachment(o: { volumeId: string; instanceUuid: string; connector?: Connector }, auth: CallAuth): Promise<AttachmentBody>;
  /** Connects a reserved attachment for this host's connector; returns connection_info. */
  updateAttachment(id: string, connector: Connector, auth: CallAuth): Promise<AttachmentBody>;
  /** Marks the attachment attached (the volume becomes in-use). */
  completeAttachment(id: string, auth: CallAuth): Promise<void>;
  /** Detaches and removes the attachment; false when it did not exist. Idempotent. */
  deleteAttachment(id: string, auth: CallAuth): Promise<boolean>;
  /** Creates a volume (blank, or from an image or a snapshot) in the user's project; it is `creating` at first. */
  createVolume(o: { size?: number; imageRef?: string; snapshotId?: string; name?: string; volumeType?: string }, auth: CallAuth): Promise<VolumeBody>;
  /** Deletes a volume; false when it did not exist. */
  deleteVolume(id: string, auth: CallAuth): Promise<boolean>;
  /** The snapshot, or undefined when it does not exist (or is not the user's). */
  getSnapshot(id: string, auth: CallAuth): Promise<SnapshotBody | undefined>;
  /** Snapshots a volume (`force`: also an in-use one, as Nova's create_snapshot_force); it is `creating` at first. */
  createSnapshot(o: { volumeId: string; name?: string; description?: string; force?: boolean }, auth: CallAuth): Promise<SnapshotBody>;
  /** Deletes a snapshot; false when it did not exist. */
  deleteSnapshot(id: string, auth: CallAuth): Promise<boolean>;
}

export function createBlockStorageClient(opts: BlockStorageClientOptions): BlockStorageClient {
  const base = opts.endpoint.replace(/\/+$/, '');

  async function request<T>(method: string, path: string, auth: CallAuth, body?: unknown, okMissing = false): Promise<T | undefined> {
    const headers: Record<string, string> = {
      accept: 'application/json', 'openstack-api-version': `volume ${VOLUME_MICROVERSION}`, 'x-auth-token': auth.userToken,
      ...(auth.serviceToken ? { 'x-service-token': auth.serviceToken } : {}),
      ...(auth.globalRequestId ? { 'x-openstack-request-id': auth.globalRequestId } : {}),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
    } catch (err) {
      throw new ServiceUnavailable(`Block Storage is unreachable at ${base}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 404 && okMissing) return undefined;
    if (res.status >= 400) {
      let fault = 'error';
      let message = text;
      try {
        const parsed = JSON.parse(text) as Record<string, { message?: string }>;
        fault = Object.keys(parsed)[0] ?? fault;
        message = parsed[fault]?.message ?? text;
      } catch { /* not JSON: keep the text */ }
      throw new BlockStorageRequestError(res.status, fault, message);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  return {
    async getVolume(id, auth) {
      return (await request<{ volume: VolumeBody }>('GET', `/volumes/${encodeURIComponent(id)}`, auth, undefined, true))?.volume;
    },
    async createAttachment(o, auth) {
      const body = { attachment: { volume_uuid: o.volumeId, instance_uuid: o.instanceUuid, ...(o.connector ? { connector: o.connector } : {}) } };
      return (await request<{ attachment: AttachmentBody }>('POST', '/attachments', auth, body))!.attachment;
    },
    async updateAttachment(id, connector, auth) {
      return (await request<{ attachment: AttachmentBody }>('PUT', `/attachments/${encodeURIComponent(id)}`, auth, { attachment: { connector } }))!.attachment;
    },
    async completeAttachment(id, auth) {
      await request('POST', `/attachments/${encodeURIComponent(id)}/action`, auth, { 'os-complete': null });
    },
    async deleteAttachment(id, auth) {
      return (await request('DELETE', `/attachments/${encodeURIComponent(id)}`, auth, undefined, true)) !== undefined;
    },
    async createVolume(o, auth) {
      const volume = {
        ...(o.size !== undefined ? { size: o.size } : {}), ...(o.imageRef ? { imageRef: o.imageRef } : {}), ...(o.snapshotId ? { snapshot_id: o.snapshotId } : {}),
        ...(o.name ? { name: o.name } : {}), ...(o.volumeType ? { volume_type: o.volumeType } : {}),
      };
      return (await request<{ volume: VolumeBody }>('POST', '/volumes', auth, { volume }))!.volume;
    },
    async deleteVolume(id, auth) {
      return (await request('DELETE', `/volumes/${encodeURIComponent(id)}`, auth, undefined, true)) !== undefined;
    },
    async getSnapshot(id, auth) {
      return (await request<{ snapshot: SnapshotBody }>('GET', `/snapshots/${encodeURIComponent(id)}`, auth, undefined, true))?.snapshot;
    },
    async createSnapshot(o, auth) {
      const snapshot = { volume_id: o.volumeId, force: o.force ?? false, ...(o.name ? { name: o.name } : {}), ...(o.description ? { description: o.description } : {}) };
      return (await request<{ snapshot: SnapshotBody }>('POST', '/snapshots', auth, { snapshot }))!.snapshot;
    },
    async deleteSnapshot(id, auth) {
      return (await request('DELETE', `/snapshots/${encodeURIComponent(id)}`, auth, undefined, true)) !== undefined;
    },
  };
}
