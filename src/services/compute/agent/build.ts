// build_and_run_instance: the agent's part of the boot flow. It reads the server from the conductor, fetches the
// image record from Image with the user's token, creates and binds its ports with Networking, asks the driver to spawn, and reports ACTIVE — or tells the
// conductor the build failed, which reschedules it elsewhere or puts it in ERROR.
import type { BusContext } from '#lib/bus/index.ts';
import { BadRequest, StratusError } from '#lib/errors.ts';
import type { ImageRecord } from '#services/image/contract/client.ts';
import { PowerState, TaskState, VmState } from '../domain/vm-states.ts';
import type { Instance } from '../domain/instance.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import type { HeldInstance } from './action-notifications.ts';
import { allocateNetworks, deallocateNetworks } from './networking.ts';
import { configDriveFor } from './config-drive.ts';
import { buildBlockDevices } from './block-devices.ts';
import { withLocalDisks } from './local-block-devices.ts';
import type { Allocation } from './networking.ts';
import type { GuestSpec, ImageSource } from './drivers/hypervisor-driver.ts';

/** A failure that another host would not fix (a missing image): no reschedule. */
export class BuildAbort extends BadRequest {}

const CORE_IMAGE_FIELDS = new Set(['id', 'name', 'status', 'visibility', 'disk_format', 'container_format', 'size', 'virtual_size',
  'checksum', 'os_hash_algo', 'os_hash_value', 'min_ram', 'min_disk', 'owner', 'protected', 'tags', 'created_at', 'updated_at',
  'self', 'file', 'schema', 'os_hidden', 'direct_url', 'locations']);

export async function fetchImage(deps: AgentDeps, ctx: BusContext, instance: Instance): Promise<ImageRecord | null> {
  if (!instance.imageRef) return null;
  const client = await deps.image();
  if (!client) throw new BuildAbort('The Image service is not in the catalog.');
  if (!ctx.authToken) throw new BuildAbort('The request carried no user token to fetch the image with.');
  const image = await client.getImage(instance.imageRef, { token: ctx.authToken, serviceToken: await deps.serviceToken(), globalRequestId: ctx.globalRequestId });
  if (!image) throw new BuildAbort(`Image ${instance.imageRef} could not be found.`);
  if (image.status !== 'active') throw new BuildAbort(`Image ${instance.imageRef} is not active (status ${image.status}).`);
  return image;
}

/**
 * The root disk's source for the driver: the image's bytes streamed from Image with the user's token plus the agent's
 * service token (as for its record), and what Image said of them (checksum, multihash) so the driver can verify them.
 */
export function imageSource(deps: AgentDeps, ctx: BusContext, image: ImageRecord): ImageSource {
  return {
    id: image.id, diskFormat: image.disk_format, size: image.size, checksum: image.checksum, hashAlgo: image.os_hash_algo, hashValue: image.os_hash_value,
    async open() {
      const client = await deps.image();
      if (!client) throw new BuildAbort('The Image service is not in the catalog.');
      if (!ctx.authToken) throw new BuildAbort('The request carried no user token to fetch the image with.');
      return client.download(image.id, { token: ctx.authToken, serviceToken: await deps.serviceToken(), globalRequestId: ctx.globalRequestId });
    },
  };
}

export function guestSpec(instance: Instance, image: ImageRecord | null, nics: GuestSpec['nics']): GuestSpec {
  const f = instance.flavor;
  return {
    uuid: instance.uuid, name: instance.name, vcpus: f.vcpus, memoryMb: f.ram, rootGb: f.disk, ephemeralGb: f.ephemeral, swapMb: f.swap,
    image: image ? {
      id: image.id, diskFormat: image.disk_format, size: image.size,
      properties: Object.fromEntries(Object.entries(image).filter(([k]) => !CORE_IMAGE_FIELDS.has(k))),
    } : null,
    nics, keyData: instance.keyData, userData: instance.userData, metadata: instance.metadata,
  };
}

export async function buildAndRunInstance(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<void> {
  const log = deps.log.child({ instance: uuid, globalRequestId: ctx.globalRequestId });
  let spawned = false;
  let ports: Allocation['ports'] = [];
  const blockDevices = buildBlockDevices(deps, ctx, uuid);
  try {
    // Read once, before the event starts, so the start notification (when on) announces this copy instead of reading it again.
    const read = await deps.conductor.call('instance_get', { uuid }, ctx);
    const held: HeldInstance = { instance: read ?? undefined };
    await withEvent(deps, ctx, uuid, 'compute_build_and_run_instance', async () => {
      const instance = read;
      if (!instance || instance.taskState === TaskState.deleting) throw new BuildAbort(`Instance ${uuid} was deleted during the build.`);
      const image = await fetchImage(deps, ctx, instance);
      // instance_patch: these steps need only whether the state moved, not the server read back.
      if (!await deps.conductor.call('instance_patch', { uuid, patch: { taskState: TaskState.networking }, expectedTaskState: [TaskState.scheduling] }, ctx)) {
        throw new BuildAbort(`Instance ${uuid} was deleted during the build.`);
      }
      const allocation = await allocateNetworks(await deps.network(), ctx, instance, deps.host);
      ports = allocation.ports;
      // Volumes (boot from volume and any others mapped at create) from Block Storage, connected to this host.
      const volumes = await blockDevices.prepare(allocation.ports);
      const spawning = await deps.conductor.call('instance_patch', {
        uuid, patch: { taskState: TaskState.spawning, networkInfo: allocation.ports }, expectedTaskState: [TaskState.blockDeviceMapping],
      }, ctx);
      if (!spawning) throw new BuildAbort(`Instance ${uuid} was deleted during the build.`);
      await deps.driver.spawn({
        guest: withLocalDisks(guestSpec(instance, image, allocation.nics), blockDevices.localDisks()), image: image ? imageSource(deps, ctx, image) : undefined,
        configDrive: await configDriveFor(deps, ctx, instance), blockDevices: volumes,
      });
      spawned = true;
      const active = await deps.conductor.call('instance_update', {
        uuid, expectedTaskState: [TaskState.spawning],
        patch: { vmState: VmState.active, taskState: null, powerState: PowerState.running, launchedAt: new Date().toISOString() },
      }, ctx);
      if (!active) throw new BuildAbort(`Instance ${uuid} was deleted during the build.`);
      held.instance = active;
    }, { held, finishAction: true });
    log.info({ host: deps.host }, 'instance spawned');
  } catch (err) {
    const message = (err as Error).message;
    log.warn({ err: message }, 'build failed');
    // Nothing half-built stays on this host, whatever happens next.
    if (spawned || !(err instanceof BuildAbort)) await deps.driver.destroy({ uuid }).catch(() => undefined);
    await blockDevices.rollback();
    // Ports go too: a rescheduled build binds new ones on its next host.
    await deallocateNetworks(await deps.network(), ctx, ports).catch((e: unknown) => log.warn({ err: (e as Error).message }, 'cannot release the build\'s ports'));
    if (ports.length) await deps.conductor.call('instance_update', { uuid, patch: { networkInfo: [] } }, ctx).catch(() => undefined);
    const reschedule = !(err instanceof BuildAbort) && !(err instanceof StratusError && err.status < 500);
    await deps.conductor.call('build_failed', { uuid, host: deps.host, error: message, reschedule }, ctx)
      .catch((e: unknown) => log.error({ err: (e as Error).message }, 'cannot report the failed build to the conductor'));
  }
}
