// terminate_instance: destroy the guest, delete (or unbind) its ports, release its resources in Placement, and have the conductor mark it
// deleted. Safe to run twice: each step is idempotent.
import type { BusContext } from '#lib/bus/index.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { withActionNotifications } from './action-notifications.ts';
import type { HeldInstance } from './action-notifications.ts';
import { deallocateNetworks } from './networking.ts';
import { detachVolume } from './volumes.ts';
import { releaseVolumes } from './block-devices.ts';
import { withInterfaceLock } from './interfaces.ts';

export async function terminateInstance(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  // With notifications on, one read serves delete.start and shutdown.start/end: nothing recorded about the server
  // changes between them. delete.end reads the server as instance_destroy left it.
  const stored = deps.notifier?.enabled ? await deps.conductor.call('instance_get', { uuid, includeDeleted: true }, ctx) ?? undefined : undefined;
  const held: HeldInstance = { instance: stored };
  await withEvent(deps, ctx, uuid, 'compute_terminate_instance', async () => {
    // The guest goes first, as in Nova: a guest that would not let go of a hot-unplugged disk cannot block its own
    // delete. Then the attachments are released so the volumes are available again.
    held.instance = stored;
    await withActionNotifications(deps, ctx, { uuid, event: 'shutdown', action: 'shutdown', held }, async () => {
      await deps.driver.destroy({ uuid });
      held.instance = stored;
    });
    // A server deleted in VERIFY_RESIZE: the disks its resize kept aside on this host go too (the API confirmed the
    // resize). When the resize changed hosts, the API has the source drop its own (drop_resize_source).
    await deps.driver.confirmMigration({ uuid });
    // Volumes marked delete_on_termination (a boot volume made from an image, say) are deleted once detached.
    await releaseVolumes(deps, ctx, uuid, (v) => detachVolume(deps, ctx, v, { event: false, unplug: false }));
    // Boot ports and attached interfaces alike; after any interface change in flight, so none is missed.
    await withInterfaceLock(uuid, async () => {
      const instance = await deps.conductor.call('instance_get', { uuid, includeDeleted: true }, ctx);
      if (instance?.networkInfo.length) await deallocateNetworks(await deps.network(), ctx, instance.networkInfo);
    });
    await deps.placement.deleteAllocations(uuid, { globalRequestId: ctx.globalRequestId });
    await deps.conductor.call('instance_destroy', { uuid }, ctx);
  }, { held });
  await deps.conductor.call('action_finish', { uuid, requestId: ctx.requestId }, ctx);
}
