// Volume attach and detach on the agent, in Nova's new attach flow with Block Storage's attachments API: connect the
// reserved attachment with this host's connector (which gives the connection info), plug it into the guest, then mark
// the attachment complete (the volume turns in-use); detach unplugs and deletes the attachment.
import type { BusContext } from '#lib/bus/index.ts';
import { BadRequest } from '#lib/errors.ts';
import type { BlockStorageClient } from '#services/block-storage/contract/client.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';

export async function client(deps: AgentDeps): Promise<BlockStorageClient> {
  const c = await deps.volumes();
  if (!c) throw new BadRequest('Block Storage is not in the catalog.');
  return c;
}

export async function auth(deps: AgentDeps, ctx: BusContext) {
  if (!ctx.authToken) throw new BadRequest('The request carried no user token to attach volumes with.');
  return { userToken: ctx.authToken, serviceToken: await deps.serviceToken(), globalRequestId: ctx.globalRequestId };
}

/** Connects a reserved attachment with this host's connector (mounted at `device`); returns Block Storage's connection info. */
export async function connectAttachment(deps: AgentDeps, ctx: BusContext, attachmentId: string, device: string): Promise<Record<string, unknown>> {
  const cap = await deps.driver.capacity();
  const attachment = await (await client(deps)).updateAttachment(attachmentId, {
    host: deps.host, ip: cap.hostIp, platform: 'x86_64', os_type: 'linux', multipath: false, mountpoint: device,
  }, await auth(deps, ctx));
  return attachment.connection_info as Record<string, unknown>;
}

export async function attachVolume(deps: AgentDeps, ctx: BusContext, a: { uuid: string; volumeId: string; attachmentId: string; device: string }): Promise<void> {
  try {
    await withEvent(deps, ctx, a.uuid, 'compute_attach_volume', async () => {
      const volumes = await client(deps);
      const connectionInfo = await connectAttachment(deps, ctx, a.attachmentId, a.device);
      if (!deps.driver.attachVolume) throw new BadRequest(`The ${deps.driver.type} driver cannot attach volumes.`);
      await deps.driver.attachVolume({ uuid: a.uuid, volumeId: a.volumeId, device: a.device, connectionInfo });
      await volumes.completeAttachment(a.attachmentId, await auth(deps, ctx));
    });
  } catch (err) {
    // A failed attach leaves neither the attachment nor the mapping behind, so the volume is free again.
    deps.log.warn({ instance: a.uuid, volume: a.volumeId, err: (err as Error).message }, 'volume attach failed');
    await deps.driver.detachVolume?.({ uuid: a.uuid, volumeId: a.volumeId }).catch(() => undefined);
    const volumes = await deps.volumes();
    if (volumes) await volumes.deleteAttachment(a.attachmentId, await auth(deps, ctx)).catch(() => undefined);
    await deps.conductor.call('volume_detached', { uuid: a.uuid, volumeId: a.volumeId }, ctx);
  }
  await deps.conductor.call('action_finish', { uuid: a.uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}

/** Unplugs a volume and deletes its attachment; `unplug: false` when the guest is already gone (a delete). */
export async function detachVolume(deps: AgentDeps, ctx: BusContext, a: { uuid: string; volumeId: string; attachmentId: string }, opts: { event?: boolean; unplug?: boolean } = {}): Promise<void> {
  const work = async () => {
    if (opts.unplug !== false) await deps.driver.detachVolume?.({ uuid: a.uuid, volumeId: a.volumeId });
    await (await client(deps)).deleteAttachment(a.attachmentId, await auth(deps, ctx));
    await deps.conductor.call('volume_detached', { uuid: a.uuid, volumeId: a.volumeId }, ctx);
  };
  if (opts.event === false) return work();
  await withEvent(deps, ctx, a.uuid, 'compute_detach_volume', work).catch((err: unknown) => {
    deps.log.warn({ instance: a.uuid, volume: a.volumeId, err: (err as Error).message }, 'volume detach failed');
  });
  await deps.conductor.call('action_finish', { uuid: a.uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}
