// The block_device_mapping step of a build (Nova's _prep_block_device): each mapping becomes a volume connected to
// this host — made first in Block Storage with the user's token when it comes from an image, a snapshot or nothing
// (blank), then reserved, connected and completed through the attachments API as any attach is (agent/volumes.ts).
// A build that fails deletes the volumes it made; the user's own volumes keep their reservation for a reschedule.
import type { BusContext } from '#lib/bus/index.ts';
import type { BlockStorageClient, CallAuth } from '#services/block-storage/contract/client.ts';
import { TaskState } from '../domain/vm-states.ts';
import type { BoundPort } from '../domain/instance.ts';
import type { BlockDeviceRecord } from '../rpc/block-device.ts';
import type { AgentDeps } from './agent-deps.ts';
import type { BlockDevice } from './drivers/hypervisor-driver.ts';
import { BuildAbort } from './build.ts';
import { auth, client, connectAttachment } from './volumes.ts';

export interface BlockDeviceOptions {
  /** How long a new volume may take to become available (Nova: block_device_allocate_retries × interval, 180 s). */
  volumeTimeoutMs?: number;
  pollMs?: number;
}

export interface BuildBlockDevices {
  /**
   * Moves the build to task state block_device_mapping (recording its ports), then makes and connects every mapping's
   * volume; returns them, boot device first, for the driver's spawn. Throws BuildAbort when the server was deleted
   * or a volume cannot be made (another host would not do better).
   */
  prepare(networkInfo: BoundPort[]): Promise<BlockDevice[]>;
  /** After a failed build: removes the attachments and volumes this build made and forgets them. Never throws. */
  rollback(): Promise<void>;
  /** The local blank disks (ephemeral, swap) mapped at create, as prepare found them: the driver makes those. */
  localDisks(): BlockDeviceRecord[];
}

/** Waits until Block Storage says the volume is available; its error status (or the timeout) aborts the build. */
async function waitAvailable(volumes: BlockStorageClient, a: CallAuth, id: string, opts: Required<BlockDeviceOptions>): Promise<void> {
  const deadline = Date.now() + opts.volumeTimeoutMs;
  let delay = Math.min(50, opts.pollMs);
  for (;;) {
    const v = await volumes.getVolume(id, a);
    if (v?.status === 'available') return;
    if (!v || v.status === 'error') throw new BuildAbort(`Volume ${id} did not finish creation (status ${v?.status ?? 'gone'}).`);
    if (Date.now() > deadline) throw new BuildAbort(`Volume ${id} did not become available within ${opts.volumeTimeoutMs / 1000} s (status ${v.status}).`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, opts.pollMs);
  }
}

export function buildBlockDevices(deps: AgentDeps, ctx: BusContext, uuid: string, options: BlockDeviceOptions = {}): BuildBlockDevices {
  const opts = { volumeTimeoutMs: options.volumeTimeoutMs ?? 180_000, pollMs: options.pollMs ?? 1000 };
  /** What this build made, newest last: volumes (with their attachment once it exists) to undo on failure. */
  const made: { bdmId: string; volumeId: string; attachmentId: string | null }[] = [];
  let local: BlockDeviceRecord[] = [];

  async function makeVolume(volumes: BlockStorageClient, a: CallAuth, m: BlockDeviceRecord): Promise<{ volumeId: string; attachmentId: string }> {
    const volume = await volumes.createVolume({
      size: m.volumeSize ?? undefined, ...(m.sourceType === 'image' ? { imageRef: m.sourceId! } : {}), ...(m.sourceType === 'snapshot' ? { snapshotId: m.sourceId! } : {}),
      ...(m.volumeType ? { volumeType: m.volumeType } : {}),
    }, a).catch((err: unknown) => { throw new BuildAbort(`Block Storage could not create the ${m.sourceType} volume of ${m.deviceName}: ${(err as Error).message}`); });
    const record = { bdmId: m.id, volumeId: volume.id, attachmentId: null as string | null };
    made.push(record);
    await deps.conductor.call('block_device_set_volume', { id: m.id, volumeId: volume.id, attachmentId: null }, ctx);
    await waitAvailable(volumes, a, volume.id, opts);
    record.attachmentId = (await volumes.createAttachment({ volumeId: volume.id, instanceUuid: uuid }, a)).id;
    await deps.conductor.call('block_device_set_volume', { id: m.id, volumeId: volume.id, attachmentId: record.attachmentId }, ctx);
    return { volumeId: volume.id, attachmentId: record.attachmentId };
  }

  return {
    async prepare(networkInfo) {
      const all = await deps.conductor.call('block_device_mappings', { uuid }, ctx);
      local = all.filter((m) => m.destinationType === 'local');
      const mappings = all.filter((m) => m.destinationType !== 'local');
      const moved = await deps.conductor.call('instance_patch', {
        uuid, patch: { taskState: TaskState.blockDeviceMapping, networkInfo }, expectedTaskState: [TaskState.networking],
      }, ctx);
      if (!moved) throw new BuildAbort(`Instance ${uuid} was deleted during the build.`);
      if (!mappings.length) return [];
      const volumes = await client(deps).catch((err: unknown) => { throw new BuildAbort((err as Error).message); });
      const a = await auth(deps, ctx).catch((err: unknown) => { throw new BuildAbort((err as Error).message); });
      const devices: BlockDevice[] = [];
      for (const m of mappings) {
        const { volumeId, attachmentId } = m.volumeId && m.attachmentId ? { volumeId: m.volumeId, attachmentId: m.attachmentId } : await makeVolume(volumes, a, m);
        const connectionInfo = await connectAttachment(deps, ctx, attachmentId, m.deviceName);
        await volumes.completeAttachment(attachmentId, a);
        devices.push({ volumeId, connectionInfo, bootIndex: m.bootIndex, device: m.deviceName });
      }
      return devices;
    },

    async rollback() {
      if (!made.length) return;
      const volumes = await deps.volumes();
      const a = await auth(deps, ctx).catch(() => undefined);
      for (const v of made.reverse()) {
        try {
          if (volumes && a) {
            if (v.attachmentId) await volumes.deleteAttachment(v.attachmentId, a);
            await volumes.deleteVolume(v.volumeId, a);
          }
          await deps.conductor.call('block_device_set_volume', { id: v.bdmId, volumeId: null, attachmentId: null }, ctx);
        } catch (err) {
          deps.log.warn({ instance: uuid, volume: v.volumeId, err: (err as Error).message }, 'cannot remove a volume of the failed build');
        }
      }
      made.length = 0;
    },

    localDisks: () => local,
  };
}

/**
 * Server delete, after the guest is gone: every volume is detached (its attachment deleted) and those marked
 * delete_on_termination are deleted (or, when Block Storage refuses, kept with a warning); `detach` is the agent's
 * own detach (agent/volumes.ts).
 */
export async function releaseVolumes(deps: AgentDeps, ctx: BusContext, uuid: string,
  detach: (v: { uuid: string; volumeId: string; attachmentId: string }) => Promise<void>): Promise<void> {
  for (const v of await deps.conductor.call('volume_attachments', { uuid }, ctx)) {
    await detach({ uuid, volumeId: v.volumeId, attachmentId: v.attachmentId });
    if (!v.deleteOnTermination) continue;
    // As Nova's _cleanup_volumes on delete: a volume Block Storage will not delete (one with snapshots, say — a
    // volume-backed server's createImage made some) is left with a warning; the server's delete goes on.
    await (await client(deps)).deleteVolume(v.volumeId, await auth(deps, ctx))
      .catch((err: unknown) => deps.log.warn({ instance: uuid, volume: v.volumeId, err: (err as Error).message }, 'cannot delete the volume marked delete_on_termination; it is kept'));
  }
}
