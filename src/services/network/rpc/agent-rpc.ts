// The contract between the network server and its per-host agents (the network-agent's L2, DHCP, L3 and metadata
// sides), as in Neutron: the server fans out casts on `network-agent` whenever something an agent wires changes;
// agents call the server on `network-server` for the full details of a device, to report it up or down, to resync,
// and for what their DHCP servers serve.
import { defineRpc } from '#lib/bus/index.ts';
import type { PortDetails } from '../domain/port-details.ts';
import type { DhcpNetwork } from '../domain/dhcp-network.ts';
import type { MetadataPort, MetadataPortQuery, RouterInfo, RouterWiring } from '../domain/router-info.ts';
import type { SecurityGroupInfo } from '../domain/security-group-info.ts';

export type { AgentFixedIp, PortDetails } from '../domain/port-details.ts';
export type { DhcpNetwork } from '../domain/dhcp-network.ts';
export type { MetadataPort, MetadataPortQuery, RouterInfo, RouterWiring } from '../domain/router-info.ts';
export type { SecurityGroupInfo } from '../domain/security-group-info.ts';

/** One agent of a host as its heartbeat describes it (agent_type "L3 agent", binary neutron-l3-agent, …). */
export interface AgentState {
  agentType: string;
  binary: string;
  topic: string;
  availabilityZone: string | null;
  configurations: Record<string, unknown>;
}

/** Server → every agent (fanout casts; routers_updated is cast to the hosting agent's host only). Agents ignore what is not on their host. */
export type NetworkAgentMethods = {
  port_update: { kind: 'cast'; args: { port: PortDetails }; result: void };
  port_delete: { kind: 'cast'; args: { portId: string; networkId: string; hostId: string }; result: void };
  network_update: { kind: 'cast'; args: { networkId: string }; result: void };
  network_delete: { kind: 'cast'; args: { networkId: string }; result: void };
  subnet_update: { kind: 'cast'; args: { networkId: string; subnetId: string }; result: void };
  /** Any port on the network was created, changed or deleted (bound or not): DHCP servers refresh their hosts. */
  network_ports_changed: { kind: 'cast'; args: { networkId: string }; result: void };
  /** The groups' rules changed: agents filtering ports in them (or naming them as remote groups) refetch. */
  security_groups_rule_updated: { kind: 'cast'; args: { securityGroupIds: string[] }; result: void };
  /** A port joined or left the groups, or its addresses changed: agents whose rules name them as remote groups refetch. */
  security_groups_member_updated: { kind: 'cast'; args: { securityGroupIds: string[] }; result: void };
  routers_updated: { kind: 'cast'; args: { routerIds: string[] }; result: void };
};

/** Agent → server (calls). */
export type NetworkServerMethods = {
  get_device_details: { kind: 'call'; args: { portId: string; host: string }; result: PortDetails | null };
  update_device_up: { kind: 'call'; args: { portId: string; host: string }; result: void };
  update_device_down: { kind: 'call'; args: { portId: string; host: string }; result: void };
  /** Every port bound to the host (an agent's resync on start). */
  get_host_ports: { kind: 'call'; args: { host: string }; result: PortDetails[] };
  /** Networks with a DHCP-enabled subnet (a DHCP agent's resync on start). */
  list_dhcp_networks: { kind: 'call'; args: { host: string }; result: string[] };
  /** What the host's DHCP server for the network serves; null when the network is gone. */
  get_dhcp_network: { kind: 'call'; args: { networkId: string; host: string }; result: DhcpNetwork | null };
  /** Creates (or completes) the host's `network:dhcp` port with an address on each DHCP-enabled subnet. */
  ensure_dhcp_port: { kind: 'call'; args: { networkId: string; host: string }; result: void };
  /** Routers the host's L3 agent hosts (an L3 agent's resync on start). */
  list_routers: { kind: 'call'; args: { host: string }; result: string[] };
  /** Everything the L3 agent wires for a router; null when it is gone (or not hosted there). */
  get_router: { kind: 'call'; args: { routerId: string; host: string }; result: RouterInfo | null };
  /** What the router's data plane carries now (null: nothing, e.g. removed): legs and floating IPs turn ACTIVE or DOWN. */
  update_router_state: { kind: 'call'; args: { routerId: string; host: string; wiring: RouterWiring | null }; result: void };
  /** The port a metadata request comes from: the guest's address on the router's networks or on one network. */
  get_metadata_port: { kind: 'call'; args: { query: MetadataPortQuery; host: string }; result: MetadataPort | null };
  /** A heartbeat of the host's agents (Neutron's report_state): registers them on the first, keeps them alive after. */
  report_state: { kind: 'call'; args: { host: string; agents: AgentState[]; start: boolean }; result: void };
  /** The rules of these groups and the member addresses of the remote groups they name (an agent's port filters). */
  security_group_info: { kind: 'call'; args: { securityGroupIds: string[]; host: string }; result: SecurityGroupInfo };
};

export const networkAgentRpc = defineRpc<NetworkAgentMethods>('network-agent', '1.0');
export const networkServerRpc = defineRpc<NetworkServerMethods>('network-server', '1.2');

/** Notification event types, Neutron's names: `<resource>.<create|update|delete>.end`. */
export type NotifiedResource = 'network' | 'subnet' | 'port' | 'router' | 'floatingip' | 'security_group' | 'security_group_rule';
export const eventType = (resource: NotifiedResource, action: 'create' | 'update' | 'delete'): string => `${resource}.${action}.end`;
