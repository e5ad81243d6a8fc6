// Host device names of what the linuxbridge data plane wires, shared by the server (vif_details tells Compute what to
// plug) and the agent. Each carries a Stratus prefix and fits Linux's 15-character interface names, as Neutron's do.
const ID_CHARS = 11;

/** The network's bridge: `brq` + the first 11 characters of its id. */
export const bridgeName = (networkId: string): string => `brq${networkId.slice(0, ID_CHARS)}`;
/** A port's tap (or the bridge end of a veth): `tap` + the first 11 characters of its id. */
export const tapName = (portId: string): string => `tap${portId.slice(0, ID_CHARS)}`;
/** The namespace end of the DHCP port's veth pair. */
export const dhcpInterfaceName = (portId: string): string => `ns-${portId.slice(0, ID_CHARS)}`;
/** A VXLAN network's tunnel device. */
export const vxlanName = (vni: number): string => `vxlan-${vni}`;
/** The DHCP namespace of a network. */
export const dhcpNamespace = (networkId: string): string => `qdhcp-${networkId}`;
/** A router's namespace on its L3 host. */
export const routerNamespace = (routerId: string): string => `qrouter-${routerId}`;
/** Inside a router's namespace: an interface leg (`qr-`) and the external gateway leg (`qg-`); the bridge end is `tap…`. */
export const routerInterfaceName = (portId: string): string => `qr-${portId.slice(0, ID_CHARS)}`;
export const routerGatewayName = (portId: string): string => `qg-${portId.slice(0, ID_CHARS)}`;
/** Interface name prefixes the agent owns: resync removes unclaimed devices with these, and nothing else. */
export const OWNED_PREFIXES = ['brq', 'tap', 'vxlan-'] as const;
