// shelve_instance (Nova's): the guest is powered off and its root disk uploaded into the `<name>-shelved` image the API
// made, through Nova's task states (shelving → shelving_image_pending_upload → shelving_image_uploading); the server
// records shelved_at, shelved_image_id and shelved_host in its system metadata and is SHELVED, then offloaded at once
// when shelved_offload_time is 0 (and always when it booted from a volume: there is nothing on the host to keep).
// A shelve that fails deletes its image and leaves the server as it now is (powered off: SHUTOFF).
import type { BusContext } from '#lib/bus/index.ts';
import { shelveMetadata } from '../domain/shelve.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { powerNumber } from './power.ts';
import { offloadOrRevert } from './shelve-offload.ts';

export interface ShelveOptions {
  /** Nova's shelved_offload_time: 0 offloads at once, -1 never, N seconds after the shelve (the periodic check). */
  offloadTimeS: number;
}

const SHELVING: string[] = [TaskState.shelving, TaskState.shelvingImagePendingUpload, TaskState.shelvingImageUploading];

/** Uploads the powered-off guest's root disk into the queued image `imageId` with the user's token. */
async function snapshotInto(deps: AgentDeps, ctx: BusContext, uuid: string, imageId: string): Promise<void> {
  const step = async (from: string, to: string) => {
    if (!await deps.conductor.call('instance_update', { uuid, patch: { taskState: to }, expectedTaskState: [from] }, ctx)) {
      throw new Error(`Instance ${uuid} left ${from} during the shelve.`);
    }
  };
  const image = await deps.image();
  if (!image) throw new Error('The Image service is not in the catalog.');
  if (!ctx.authToken) throw new Error('The request carried no user token to upload the shelved image with.');
  if (!deps.driver.snapshot) throw new Error(`The ${deps.driver.type} driver cannot snapshot a guest.`);
  const auth = { token: ctx.authToken, serviceToken: await deps.serviceToken(), globalRequestId: ctx.globalRequestId };
  await step(TaskState.shelving, TaskState.shelvingImagePendingUpload);
  await deps.driver.snapshot({
    uuid,
    upload: async (data, format) => {
      await step(TaskState.shelvingImagePendingUpload, TaskState.shelvingImageUploading);
      await image.updateImage(imageId, { disk_format: format.diskFormat, container_format: format.containerFormat }, auth);
      await image.upload(imageId, data, auth);
    },
  });
}

export async function shelveInstance(deps: AgentDeps, ctx: BusContext, a: { uuid: string; imageId: string | null }, opts: ShelveOptions): Promise<void> {
  const { uuid, imageId } = a;
  let shelved = false;
  try {
    await withEvent(deps, ctx, uuid, 'compute_shelve_instance', async () => {
      const instance = await deps.conductor.call('instance_get', { uuid }, ctx);
      if (!instance || instance.taskState !== TaskState.shelving) throw new Error(`Instance ${uuid} is no longer being shelved.`);
      // A paused guest cannot answer an ACPI shutdown: it is powered off at once.
      const power = await deps.driver.powerState({ uuid });
      if (power !== 'shutdown') await deps.driver.powerOff({ uuid, ...(power === 'paused' ? { timeoutMs: 0 } : {}) });
      if (imageId) await snapshotInto(deps, ctx, uuid, imageId);
      await deps.conductor.call('system_metadata_update', { uuid, set: shelveMetadata(new Date(), imageId, deps.host) }, ctx);
      const offloadNow = opts.offloadTimeS === 0 || !imageId;
      const updated = await deps.conductor.call('instance_update', {
        uuid, expectedTaskState: [imageId ? TaskState.shelvingImageUploading : TaskState.shelving],
        patch: { vmState: VmState.shelved, taskState: offloadNow ? TaskState.shelvingOffloading : null, powerState: PowerState.shutdown },
      }, ctx);
      if (!updated) throw new Error(`Instance ${uuid} left its shelving task state during the shelve.`);
      shelved = true;
      if (offloadNow) await offloadOrRevert(deps, ctx, updated);
    });
  } catch (err) {
    deps.log.warn({ instance: uuid, image: imageId, err: (err as Error).message }, shelved ? 'shelve offload failed' : 'shelve failed');
    if (!shelved) await undoShelve(deps, ctx, uuid, imageId);
  }
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}

/** Deletes the shelve's image and clears the task; the server shows the guest's power as it now is. */
async function undoShelve(deps: AgentDeps, ctx: BusContext, uuid: string, imageId: string | null): Promise<void> {
  const image = await deps.image().catch(() => undefined);
  if (imageId && image && ctx.authToken) {
    await image.deleteImage(imageId, { token: ctx.authToken, serviceToken: await deps.serviceToken(), globalRequestId: ctx.globalRequestId })
      .catch((e: unknown) => deps.log.warn({ image: imageId, err: (e as Error).message }, 'cannot delete the failed shelve\'s image'));
  }
  const power = await deps.driver.powerState({ uuid }).catch(() => undefined);
  await deps.conductor.call('instance_update', {
    uuid, expectedTaskState: SHELVING,
    patch: { taskState: null, ...(power ? { powerState: powerNumber(power) } : {}), ...(power === 'shutdown' ? { vmState: VmState.stopped } : {}) },
  }, ctx).catch(() => undefined);
}
