// snapshot_instance (createImage): the API made a queued image in Image and set task_state image_snapshot; the agent
// walks Nova's task states (image_pending_upload → image_uploading), has the driver copy the root disk and streams it
// into that image with the user's token. A failed snapshot deletes the image, so no queued husk stays behind.
import type { BusContext } from '#lib/bus/index.ts';
import { TaskState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';

export async function snapshotInstance(deps: AgentDeps, ctx: BusContext, args: { uuid: string; imageId: string }): Promise<void> {
  const { uuid, imageId } = args;
  const step = (from: string, to: string | null) =>
    deps.conductor.call('instance_update', { uuid, patch: { taskState: to }, expectedTaskState: [from] }, ctx);
  try {
    await withEvent(deps, ctx, uuid, 'compute_snapshot_instance', async () => {
      const image = await deps.image();
      if (!image) throw new Error('The Image service is not in the catalog.');
      if (!ctx.authToken) throw new Error('The request carried no user token to upload the snapshot with.');
      if (!deps.driver.snapshot) throw new Error(`The ${deps.driver.type} driver cannot snapshot a guest.`);
      const auth = { token: ctx.authToken, serviceToken: await deps.serviceToken(), globalRequestId: ctx.globalRequestId };
      if (!await step(TaskState.imageSnapshot, TaskState.imagePendingUpload)) throw new Error(`Instance ${uuid} left image_snapshot during the snapshot.`);
      await deps.driver.snapshot({
        uuid,
        upload: async (data, format) => {
          if (!await step(TaskState.imagePendingUpload, TaskState.imageUploading)) throw new Error(`Instance ${uuid} left image_pending_upload during the snapshot.`);
          // Image takes data only once the formats are known, as Nova sets them when the upload starts.
          await image.updateImage(imageId, { disk_format: format.diskFormat, container_format: format.containerFormat }, auth);
          await image.upload(imageId, data, auth);
        },
      });
      await step(TaskState.imageUploading, null);
    });
  } catch (err) {
    deps.log.warn({ instance: uuid, image: imageId, err: (err as Error).message }, 'snapshot failed');
    const image = await deps.image().catch(() => undefined);
    if (image && ctx.authToken) {
      await image.deleteImage(imageId, { token: ctx.authToken, serviceToken: await deps.serviceToken(), globalRequestId: ctx.globalRequestId })
        .catch((e: unknown) => deps.log.warn({ image: imageId, err: (e as Error).message }, 'cannot delete the failed snapshot\'s image'));
    }
    await deps.conductor.call('instance_update', {
      uuid, patch: { taskState: null }, expectedTaskState: [TaskState.imageSnapshot, TaskState.imagePendingUpload, TaskState.imageUploading],
    }, ctx).catch(() => undefined);
  }
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}
