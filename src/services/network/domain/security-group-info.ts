// What an agent needs to filter its ports, as the server sends it (Neutron's security_group_info_for_devices): the
// rules of the ports' groups and the addresses of every group those rules name as remote_group_id.
import type { RuleInput } from './security-group-rules.ts';

export interface SecurityGroupInfo {
  /** Each requested group's rules; a group that no longer exists is absent (its ports keep only what is always allowed). */
  rules: Record<string, RuleInput[]>;
  /** Per remote group: the fixed IPs and allowed address pairs (addresses or CIDRs) of every port in it, on any host. */
  members: Record<string, string[]>;
  /** The requested groups with `stateful: false`: their ports' rules match without conntrack (absent: none). */
  stateless?: string[];
}

/** Whether a port filters without conntrack: all its groups are stateless (the API keeps a port's groups of one kind). */
export function portIsStateless(securityGroupIds: string[], groups: Pick<SecurityGroupInfo, 'stateless'>): boolean {
  const stateless = new Set(groups.stateless ?? []);
  return securityGroupIds.length > 0 && securityGroupIds.every((g) => stateless.has(g));
}

/** Whether a port is filtered at all: port security on, and not one of the networking service's own ports. */
export function portIsFiltered(port: { portSecurityEnabled: boolean; deviceOwner: string }): boolean {
  // DHCP and router ports are trusted, as in Neutron; they carry no groups.
  return port.portSecurityEnabled && !port.deviceOwner.startsWith('network:');
}
