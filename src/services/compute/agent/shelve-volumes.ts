// A shelved server's volumes across an offload, as Nova does it with Block Storage's attachments: offloading swaps
// each attachment for a new one without a host connection (the volume stays reserved for the server, connected to
// no host); unshelving connects it with the new host's connector and completes it, and the volumes go to the driver's
// spawn as block devices (the boot volume of a server booted from one among them). Both need the user's token,
// which a periodic offload does not have: it leaves the connections as they are, and unshelve reconnects them anyway.
import type { BusContext } from '#lib/bus/index.ts';
import type { BlockDeviceRecord } from '../rpc/block-device.ts';
import type { AgentDeps } from './agent-deps.ts';
import type { BlockDevice } from './drivers/hypervisor-driver.ts';
import { auth, client, connectAttachment } from './volumes.ts';

type MadeMapping = BlockDeviceRecord & { volumeId: string; attachmentId: string };

async function mappingsOf(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<MadeMapping[]> {
  return (await deps.conductor.call('block_device_mappings', { uuid }, ctx)).filter((m): m is MadeMapping => Boolean(m.volumeId && m.attachmentId));
}

/** Leaves each volume reserved for the server but connected to no host; false when it could not (no user token). */
export async function disconnectVolumes(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<boolean> {
  const mappings = await mappingsOf(deps, ctx, uuid);
  if (!mappings.length) return true;
  if (!ctx.authToken || !await deps.volumes()) {
    deps.log.info({ instance: uuid, volumes: mappings.length }, 'offload without a user token: volume connections are left for unshelve to replace');
    return false;
  }
  const [volumes, a] = [await client(deps), await auth(deps, ctx)];
  for (const m of mappings) {
    // The old attachment goes first: Block Storage reserves a volume that is not multiattach for one attachment.
    await volumes.deleteAttachment(m.attachmentId, a);
    const reserved = await volumes.createAttachment({ volumeId: m.volumeId, instanceUuid: uuid }, a);
    await deps.conductor.call('block_device_set_volume', { id: m.id, volumeId: m.volumeId, attachmentId: reserved.id }, ctx);
  }
  return true;
}

/** Connects every volume of the server to this host and completes it; returns them for the driver's spawn. */
export async function reconnectVolumes(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<BlockDevice[]> {
  const mappings = await mappingsOf(deps, ctx, uuid);
  if (!mappings.length) return [];
  const [volumes, a] = [await client(deps), await auth(deps, ctx)];
  const devices: BlockDevice[] = [];
  for (const m of mappings) {
    let attachmentId = m.attachmentId;
    let connectionInfo = await connectAttachment(deps, ctx, attachmentId, m.deviceName).catch((err: unknown) => {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    });
    if (!connectionInfo) {
      // The offload's swap was cut off after the old attachment went: reserve the volume for the server again.
      attachmentId = (await volumes.createAttachment({ volumeId: m.volumeId, instanceUuid: uuid }, a)).id;
      await deps.conductor.call('block_device_set_volume', { id: m.id, volumeId: m.volumeId, attachmentId }, ctx);
      connectionInfo = await connectAttachment(deps, ctx, attachmentId, m.deviceName);
    }
    await volumes.completeAttachment(attachmentId, a);
    devices.push({ volumeId: m.volumeId, connectionInfo, bootIndex: m.bootIndex, device: m.deviceName });
  }
  return devices;
}
