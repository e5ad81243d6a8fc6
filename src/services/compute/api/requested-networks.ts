// What the API checks and decides about a server's networks before it records the server, as Nova's API does with
// Neutron: every named network and port exists for the user and no port is taken; "auto" (and no networks at all,
// before 2.37) become the one network the project can use — or none, or a 409 when the choice is ambiguous.
import { BadRequest, Conflict } from '#lib/errors.ts';
import type { NetworkClient } from '#services/network/contract/client.ts';
import type { RequestedNetworks } from '../domain/instance.ts';

export async function resolveRequestedNetworks(network: NetworkClient | undefined, requested: RequestedNetworks | 'unspecified',
  auth: { token: string; globalRequestId: string; projectId: string }): Promise<RequestedNetworks> {
  if (requested === 'none') return 'none';
  if (!network) {
    if (requested === 'auto' || requested === 'unspecified') return 'none';
    throw new BadRequest('Networking is not available in this cloud: boot with networks "none".');
  }
  const user = { token: auth.token, globalRequestId: auth.globalRequestId };
  if (requested === 'auto' || requested === 'unspecified') {
    const usable = (await network.listNetworks({}, user)).filter((n) => !n['router:external'] || n.shared);
    if (usable.length > 1) throw new Conflict('Multiple possible networks found, use a Network ID to be more specific.');
    if (usable.length === 1) return [{ networkId: usable[0].id }];
    if (requested === 'auto') throw new BadRequest(`Unable to automatically allocate a network for project ${auth.projectId}`);
    return 'none';
  }
  for (const r of requested) {
    if (r.portId) {
      const port = await network.getPort(r.portId, user);
      if (!port) throw new BadRequest(`Port ${r.portId} could not be found.`);
      if (port.device_id) throw new Conflict(`Port ${r.portId} is still in use.`);
    } else if (r.networkId) {
      if (!await network.getNetwork(r.networkId, user)) throw new BadRequest(`Network ${r.networkId} could not be found.`);
    } else {
      throw new BadRequest('Bad networks format: each network needs a uuid or a port');
    }
  }
  return requested;
}
