// terminate_instance: destroy the guest, delete (or unbind) its ports, release its resources in Placement, and have the conductor mark it
// deleted. Safe to run twice: each step is idempotent.
import type { BusContext } from '#lib/bus/index.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { deallocateNetworks } from './networking.ts';
import { detachVolume } from './volumes.ts';

export async function terminateInstance(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  await withEvent(deps, ctx, uuid, 'compute_terminate_instance', async () => {
    // The guest goes first, as in Nova: a guest that would not let go of a hot-unplugged disk cannot block its own
    // delete. Then the attachments are released so the volumes are available again.
    await deps.driver.destroy({ uuid });
    // A server deleted in VERIFY_RESIZE: the disks its resize kept aside on this host go too (the API confirmed the
    // resize). When the resize changed hosts, the source's are not reached from here yet.
    await deps.driver.confirmMigration({ uuid });
    for (const v of await deps.conductor.call('volume_attachments', { uuid }, ctx)) {
      await detachVolume(deps, ctx, { uuid, volumeId: v.volumeId, attachmentId: v.attachmentId }, { event: false, unplug: false });
    }
    const instance = await deps.conductor.call('instance_get', { uuid, includeDeleted: true }, ctx);
    if (instance?.networkInfo.length) await deallocateNetworks(await deps.network(), ctx, instance.networkInfo);
    await deps.placement.deleteAllocations(uuid, { globalRequestId: ctx.globalRequestId });
    await deps.conductor.call('instance_destroy', { uuid }, ctx);
  });
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx);
}
