// Interface attach and detach on the agent, as Nova's attach_interface/detach_interface: take the user's port or
// create one on the network with the user's token, bind it to this host with the service's token, have the driver
// hot-plug it, then record it in the server's network info through the conductor; detach unplugs it, deletes the
// port compute created or unbinds the user's (preserve_on_delete), and forgets it. Nothing stays half-done.
import type { BusContext } from '#lib/bus/index.ts';
import { BadRequest, Conflict, NotFound, StratusError } from '#lib/errors.ts';
import { NetworkRequestError } from '#services/network/contract/client.ts';
import type { NetworkClient, Port } from '#services/network/contract/client.ts';
import type { BoundPort, Instance } from '../domain/instance.ts';
import { instanceInvalidState, instanceNotFound } from '../domain/errors.ts';
import { TaskState } from '../domain/vm-states.ts';
import type { AgentMethods } from '../rpc/agent-rpc.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withEvent } from './agent-deps.ts';
import { deallocateNetworks } from './networking.ts';

/** A port in the server's network info; `tag` is the 2.49 device tag the user gave it (kept for device metadata). */
export type AttachedPort = BoundPort & { tag?: string };

type AttachArgs = AgentMethods['attach_interface']['args'];

const locks = new Map<string, Promise<unknown>>();

/**
 * Runs `work` after every earlier interface change of the server on this agent, so two changes never overwrite each
 * other's network info, and a delete never releases the ports while an attach is adding one.
 */
export function withInterfaceLock<T>(uuid: string, work: () => Promise<T>): Promise<T> {
  const next = (locks.get(uuid) ?? Promise.resolve()).catch(() => undefined).then(work);
  const tail = next.catch(() => undefined);
  locks.set(uuid, tail);
  void tail.then(() => { if (locks.get(uuid) === tail) locks.delete(uuid); });
  return next;
}

/** The server, unless it is gone or being deleted (then there is nothing to attach to). */
async function liveInstance(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<Instance> {
  const instance = await deps.conductor.call('instance_get', { uuid }, ctx);
  if (!instance) throw instanceNotFound(uuid);
  if (instance.taskState === TaskState.deleting) throw instanceInvalidState('task_state', TaskState.deleting, uuid, 'attach_interface');
  return instance;
}

/** Networking's refusals in Nova's words and statuses (409 address in use, 400 no address left, 404). */
function networkError(err: unknown, a: AttachArgs): unknown {
  if (!(err instanceof NetworkRequestError)) return err;
  if (err.code === 'IpAddressInUse') return new Conflict(`Fixed IP address ${a.fixedIp} is already in use.`);
  if (err.code === 'IpAddressGenerationFailure') return new BadRequest(`No fixed IP addresses available for network: ${a.networkId}`);
  if (err.status === 404) return new NotFound(err.message);
  if (err.status < 500) return new BadRequest(err.message);
  return err;
}

/** The user's port (not in use by any server), or a new one on the network, owned by the user's project. */
async function takePort(network: NetworkClient, ctx: BusContext, uuid: string, a: AttachArgs): Promise<{ port: Port; created: boolean }> {
  const user = { token: ctx.authToken, globalRequestId: ctx.globalRequestId };
  if (a.portId) {
    const port = await network.getPort(a.portId, user);
    if (!port) throw new NotFound(`Port id ${a.portId} could not be found.`);
    if (port.device_id) throw new Conflict(`Port ${a.portId} is still in use.`);
    return { port, created: false };
  }
  if (!a.networkId) throw new BadRequest('An interface needs a port or a network.');
  if (!await network.getNetwork(a.networkId, user)) throw new NotFound(`Network ${a.networkId} could not be found.`);
  try {
    const port = await network.createPort({
      network_id: a.networkId, device_id: uuid, device_owner: 'compute:nova', ...(a.fixedIp ? { fixed_ips: [{ ip_address: a.fixedIp }] } : {}),
    }, user);
    return { port, created: true };
  } catch (err) {
    throw networkError(err, a);
  }
}

const ipsOf = (port: Port): BoundPort['ips'] =>
  port.fixed_ips.map((ip) => ({ address: ip.ip_address, version: ip.ip_address.includes(':') ? 6 as const : 4 as const, type: 'fixed' as const }));

/**
 * attach_interface (an RPC call): resolves with the attached port's id once the guest has it and the server's network
 * info lists it; rejects with a typed error (404 port/network, 409 in use, 400…) having released what it took.
 */
export async function attachInterface(deps: AgentDeps, ctx: BusContext, a: AttachArgs): Promise<{ portId: string }> {
  const log = deps.log.child({ instance: a.uuid, globalRequestId: ctx.globalRequestId });
  try {
    return await withInterfaceLock(a.uuid, () => withEvent(deps, ctx, a.uuid, 'compute_attach_interface', async () => {
      await liveInstance(deps, ctx, a.uuid);
      if (!deps.driver.attachInterface) throw new BadRequest(`The ${deps.driver.type} driver cannot attach interfaces.`);
      const network = await deps.network();
      if (!network) throw new BadRequest('The Networking service is not in the catalog.');
      if (!ctx.authToken) throw new BadRequest('The request carried no user token to attach an interface with.');
      const { port: taken, created } = await takePort(network, ctx, a.uuid, a);
      const service = { globalRequestId: ctx.globalRequestId };
      let plugged = false;
      try {
        const port = await network.updatePort(taken.id, { 'binding:host_id': deps.host, device_id: a.uuid, device_owner: 'compute:nova' }, service);
        await deps.driver.attachInterface({
          uuid: a.uuid,
          nic: { portId: port.id, macAddress: port.mac_address, vifType: port['binding:vif_type'] ?? 'unbound', vifDetails: port['binding:vif_details'] ?? {} },
        });
        plugged = true;
        const net = await network.getNetwork(port.network_id, { token: ctx.authToken, globalRequestId: ctx.globalRequestId });
        const attached: AttachedPort = {
          portId: port.id, networkId: port.network_id, networkName: net?.name ?? port.network_id, macAddress: port.mac_address,
          createdByCompute: created, ips: ipsOf(port), ...(a.tag ? { tag: a.tag } : {}),
        };
        // Read again: a delete that started meanwhile must not find a port it does not know about.
        const current = await liveInstance(deps, ctx, a.uuid);
        const networkInfo = [...current.networkInfo.filter((p) => p.portId !== port.id), attached];
        if (!await deps.conductor.call('instance_update', { uuid: a.uuid, patch: { networkInfo } }, ctx)) throw instanceNotFound(a.uuid);
        log.info({ port: port.id, network: port.network_id }, 'interface attached');
        return { portId: port.id };
      } catch (err) {
        if (plugged) await deps.driver.detachInterface?.({ uuid: a.uuid, portId: taken.id }).catch((e: unknown) => log.warn({ err: (e as Error).message }, 'cannot unplug the failed interface'));
        await deallocateNetworks(network, ctx, [{ portId: taken.id, networkId: taken.network_id, networkName: '', macAddress: taken.mac_address, createdByCompute: created, ips: [] }])
          .catch((e: unknown) => log.warn({ err: (e as Error).message, port: taken.id }, 'cannot release the failed interface\'s port'));
        throw err;
      }
    }));
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'interface attach failed');
    // A hypervisor's own failure reaches the user as Nova's InterfaceAttachFailed, with what went wrong.
    if (err instanceof StratusError) throw err;
    throw new StratusError(500, 'InterfaceAttachFailed', `Failed to attach network adapter device to ${a.uuid}: ${(err as Error).message}`);
  } finally {
    await deps.conductor.call('action_finish', { uuid: a.uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
  }
}

/**
 * detach_interface (a cast): unplugs the port, releases it (deleted when compute created it, unbound when the user
 * brought it) and drops it from the network info. A guest that does not let go keeps it, and the event says why.
 */
export async function detachInterface(deps: AgentDeps, ctx: BusContext, a: { uuid: string; portId: string }): Promise<void> {
  await withInterfaceLock(a.uuid, () => withEvent(deps, ctx, a.uuid, 'compute_detach_interface', async () => {
    const instance = await deps.conductor.call('instance_get', { uuid: a.uuid }, ctx);
    if (!instance) throw instanceNotFound(a.uuid);
    const bound = instance.networkInfo.find((p) => p.portId === a.portId);
    if (!bound) throw new NotFound(`Port id ${a.portId} could not be found.`);
    if (!deps.driver.detachInterface) throw new BadRequest(`The ${deps.driver.type} driver cannot detach interfaces.`);
    await deps.driver.detachInterface({ uuid: a.uuid, portId: a.portId });
    // The port goes before the record of it: a failure here leaves it listed, and a retried detach finishes it.
    await deallocateNetworks(await deps.network(), ctx, [bound]);
    const current = await deps.conductor.call('instance_get', { uuid: a.uuid }, ctx);
    if (current) {
      await deps.conductor.call('instance_update', { uuid: a.uuid, patch: { networkInfo: current.networkInfo.filter((p) => p.portId !== a.portId) } }, ctx);
    }
    deps.log.info({ instance: a.uuid, port: a.portId }, 'interface detached');
  })).catch((err: unknown) => {
    deps.log.warn({ instance: a.uuid, port: a.portId, err: (err as Error).message }, 'interface detach failed');
  });
  await deps.conductor.call('action_finish', { uuid: a.uuid, requestId: ctx.requestId }, ctx).catch(() => undefined);
}
