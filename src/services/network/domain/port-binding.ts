// Port binding as the server decides it (Neutron's ML2 mechanism step): a port with a host is bound for the
// linuxbridge data plane (the noop driver stands in for it), Compute plugs a tap into the network's bridge.
import { bridgeName, tapName } from './device-names.ts';
export const VNIC_TYPES = ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'remote-managed', 'vdpa'] as const;

export interface Binding {
  vifType: string;
  vifDetails: Record<string, unknown>;
  /** The port's status once bound: with the noop data plane nothing is wired, so a bound port is up at once;
   *  with a wiring data plane it stays DOWN until the host's agent reports it up. */
  status: 'ACTIVE' | 'DOWN' | 'N/A';
}

/** What binding `hostId` gives a port; an empty host unbinds. Only `normal` vNICs bind to bridges. */
export function bindPort(opts: {
  hostId: string; vnicType: string; deviceOwner: string; portSecurityEnabled: boolean;
  /** Whether an agent wires bound ports and reports them up (any data plane but noop). */
  agentWired: boolean; networkId: string; portId: string;
}): Binding {
  if (opts.deviceOwner === 'network:floatingip') return { vifType: 'unbound', vifDetails: {}, status: 'N/A' };
  if (!opts.hostId) {
    // Router ports are served by the (noop) L3 data plane on the server itself.
    if (opts.deviceOwner.startsWith('network:router')) return { vifType: 'unbound', vifDetails: {}, status: 'ACTIVE' };
    return { vifType: 'unbound', vifDetails: {}, status: 'DOWN' };
  }
  if (opts.vnicType !== 'normal') return { vifType: 'binding_failed', vifDetails: {}, status: 'DOWN' };
  return {
    vifType: 'bridge',
    // What Compute's driver plugs: the tap the agent creates, already on the network's bridge.
    vifDetails: { port_filter: opts.portSecurityEnabled, connectivity: 'l2', bridge_name: bridgeName(opts.networkId), tap_name: tapName(opts.portId) },
    status: opts.agentWired ? 'DOWN' : 'ACTIVE',
  };
}

/** The SLAAC address of a MAC in a /64: EUI-64 with the universal/local bit flipped. */
export function eui64(prefix: bigint, mac: string): bigint {
  const b = mac.split(':').map((h) => BigInt(parseInt(h, 16)));
  const iid = [b[0] ^ 2n, b[1], b[2], 0xffn, 0xfen, b[3], b[4], b[5]].reduce((acc, x) => (acc << 8n) | x, 0n);
  return prefix | iid;
}
