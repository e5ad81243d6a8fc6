// The agent's side of Networking, as Nova's allocate_for_instance: create a port on each requested network with the
// user's token (so the project owns it), or take the user's own port, then bind it to this host with the compute
// service's token (binding is a service's right); and the reverse on delete or a failed build.
import type { BusContext } from '#lib/bus/index.ts';
import { BadRequest } from '#lib/errors.ts';
import type { NetworkClient, Port } from '#services/network/contract/client.ts';
import type { BoundPort, Instance } from '../domain/instance.ts';
import type { GuestSpec } from './drivers/hypervisor-driver.ts';
import { matchSecurityGroups } from '../domain/security-group-names.ts';

export interface Allocation {
  ports: BoundPort[];
  nics: GuestSpec['nics'];
}

function bound(port: Port, networkName: string, createdByCompute: boolean): BoundPort {
  return {
    portId: port.id, networkId: port.network_id, networkName, macAddress: port.mac_address, createdByCompute,
    ips: port.fixed_ips.map((ip) => ({ address: ip.ip_address, version: ip.ip_address.includes(':') ? 6 as const : 4 as const, type: 'fixed' as const })),
  };
}

export async function allocateNetworks(network: NetworkClient | undefined, ctx: BusContext, instance: Instance, host: string): Promise<Allocation> {
  const requested = instance.requestedNetworks;
  if (requested === 'none' || requested === 'auto' || requested.length === 0) return { ports: [], nics: [] };
  if (!network) throw new BadRequest('The Networking service is not in the catalog.');
  if (!ctx.authToken) throw new BadRequest('The request carried no user token to create ports with.');
  const user = { token: ctx.authToken, globalRequestId: ctx.globalRequestId };
  const service = { globalRequestId: ctx.globalRequestId };
  const out: Allocation = { ports: [], nics: [] };
  try {
    // The ports Compute creates get the groups the boot asked for; just `default` is left to Neutron, which gives a
    // new port the project's default group (and makes that group on first use).
    const asked = instance.securityGroups.filter((g) => g !== 'default').length > 0 && requested.some((r) => !r.portId);
    const groups = asked
      ? matchSecurityGroups(instance.securityGroups, await network.listSecurityGroups({ project_id: instance.projectId }, user), instance.projectId)
      : undefined;
    for (const r of requested) {
      let port: Port;
      let created = false;
      if (r.portId) {
        const given = await network.getPort(r.portId, user);
        if (!given) throw new BadRequest(`Port ${r.portId} could not be found.`);
        port = given;
      } else {
        port = await network.createPort({
          network_id: r.networkId!, device_id: instance.uuid, device_owner: 'compute:nova',
          ...(groups ? { security_groups: groups } : {}),
          ...(r.fixedIp ? { fixed_ips: [{ ip_address: r.fixedIp }] } : {}),
        }, user);
        created = true;
      }
      // Recorded before binding, so a failure from here on still cleans this port up.
      out.ports.push(bound(port, '', created));
      port = await network.updatePort(port.id, { 'binding:host_id': host, device_id: instance.uuid, device_owner: 'compute:nova' }, service);
      const net = await network.getNetwork(port.network_id, user);
      out.ports[out.ports.length - 1] = bound(port, net?.name ?? port.network_id, created);
      out.nics.push({ portId: port.id, macAddress: port.mac_address, vifType: port['binding:vif_type'] ?? 'unbound', vifDetails: port['binding:vif_details'] ?? {} });
    }
    return out;
  } catch (err) {
    await deallocateNetworks(network, ctx, out.ports);
    throw err;
  }
}

/** Deletes the ports compute created and unbinds the user's own; missing ports are fine (idempotent). */
export async function deallocateNetworks(network: NetworkClient | undefined, ctx: BusContext, ports: BoundPort[]): Promise<void> {
  if (!network) return;
  const service = { globalRequestId: ctx.globalRequestId };
  for (const p of ports) {
    if (p.createdByCompute) await network.deletePort(p.portId, service);
    else await network.updatePort(p.portId, { 'binding:host_id': '', device_id: '', device_owner: '' }, service).catch(() => undefined);
  }
}

/** Binds a server's ports to `host` (a rebuild re-reads them, a move takes them along), with what the guest plugs. */
export async function bindPorts(network: NetworkClient | undefined, ctx: BusContext, ports: BoundPort[], host: string): Promise<GuestSpec['nics']> {
  if (!ports.length) return [];
  if (!network) throw new BadRequest('The Networking service is not in the catalog.');
  const nics: GuestSpec['nics'] = [];
  for (const p of ports) {
    const port = await network.updatePort(p.portId, { 'binding:host_id': host }, { globalRequestId: ctx.globalRequestId });
    nics.push({ portId: port.id, macAddress: port.mac_address, vifType: port['binding:vif_type'] ?? 'unbound', vifDetails: port['binding:vif_details'] ?? {} });
  }
  return nics;
}
