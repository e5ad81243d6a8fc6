// What Cinder's nova.py does after an attached volume grows: one `volume-extended` external event (tag = the volume
// id) per server using it, sent to Compute's `POST /os-server-external-events` with Block Storage's service token.
// Compute's agent then makes the guest see the new size. Best effort, as in Cinder: a failure is logged, never undone.
import type { Logger } from '#lib/log.ts';
import type { BlockStorageDb } from '../db/tables.ts';
import { attachmentsOf } from '../db/attachments-repo.ts';

export interface ComputeEvents {
  /** Compute's endpoint (…/v2.1) from the catalog, or undefined when the cloud lists none. */
  endpoint(): Promise<string | undefined>;
  serviceToken(): Promise<string>;
}

export async function tellComputeVolumeExtended(db: BlockStorageDb, compute: ComputeEvents, volumeId: string, log: Logger): Promise<void> {
  const servers = [...new Set((await attachmentsOf(db, volumeId)).filter((a) => a.status === 'attached' && a.instanceUuid).map((a) => a.instanceUuid!))];
  if (servers.length === 0) return;
  try {
    const endpoint = await compute.endpoint();
    if (!endpoint) throw new Error('Compute is not in the catalog');
    const token = await compute.serviceToken();
    const res = await fetch(`${endpoint.replace(/\/+$/, '')}/os-server-external-events`, {
      // 2.51: the microversion that knows volume-extended, as Cinder's nova client asks for it.
      method: 'POST', headers: { 'x-auth-token': token, 'content-type': 'application/json', 'openstack-api-version': 'compute 2.51' },
      body: JSON.stringify({ events: servers.map((server_uuid) => ({ name: 'volume-extended', server_uuid, tag: volumeId })) }),
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 200 && res.status !== 207) throw new Error(`Compute answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  } catch (err) {
    log.warn({ volumeId, servers, err: (err as Error).message }, 'cannot tell Compute that an attached volume was extended');
  }
}
