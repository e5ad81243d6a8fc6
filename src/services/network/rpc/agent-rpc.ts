// The contract between the network server and its per-host agents (the linuxbridge/DHCP/L3 agents of a later
// slice), as in Neutron: the server fans out casts on `network-agent` whenever something an agent wires changes;
// agents call the server on `network-server` for the full details of a device and to report it up or down.
import { defineRpc } from '#lib/bus/index.ts';
import type { PortDetails } from '../domain/port-details.ts';

export type { AgentFixedIp, PortDetails } from '../domain/port-details.ts';

/** Server → every agent (fanout casts). Agents ignore what is not on their host. */
export type NetworkAgentMethods = {
  port_update: { kind: 'cast'; args: { port: PortDetails }; result: void };
  port_delete: { kind: 'cast'; args: { portId: string; networkId: string; hostId: string }; result: void };
  network_update: { kind: 'cast'; args: { networkId: string }; result: void };
  network_delete: { kind: 'cast'; args: { networkId: string }; result: void };
  subnet_update: { kind: 'cast'; args: { networkId: string; subnetId: string }; result: void };
  security_groups_rule_updated: { kind: 'cast'; args: { securityGroupIds: string[] }; result: void };
  security_groups_member_updated: { kind: 'cast'; args: { securityGroupIds: string[] }; result: void };
  routers_updated: { kind: 'cast'; args: { routerIds: string[] }; result: void };
};

/** Agent → server (calls). */
export type NetworkServerMethods = {
  get_device_details: { kind: 'call'; args: { portId: string; host: string }; result: PortDetails | null };
  update_device_up: { kind: 'call'; args: { portId: string; host: string }; result: void };
  update_device_down: { kind: 'call'; args: { portId: string; host: string }; result: void };
};

export const networkAgentRpc = defineRpc<NetworkAgentMethods>('network-agent', '1.0');
export const networkServerRpc = defineRpc<NetworkServerMethods>('network-server', '1.0');

/** Notification event types, Neutron's names: `<resource>.<create|update|delete>.end`. */
export type NotifiedResource = 'network' | 'subnet' | 'port' | 'router' | 'floatingip' | 'security_group' | 'security_group_rule';
export const eventType = (resource: NotifiedResource, action: 'create' | 'update' | 'delete'): string => `${resource}.${action}.end`;
