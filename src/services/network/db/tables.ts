// Networking's tables as Kysely types. Every resource carries Neutron's standard attributes (revision, timestamps);
// JSON-valued attributes are text; addresses are canonical text so the unique keys compare them exactly.
import type { Kysely } from 'kysely';

type Bool = boolean | number;

export interface StandardColumns {
  id: string;
  project_id: string;
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface NetworkRow extends StandardColumns {
  name: string;
  admin_state_up: Bool;
  status: string;
  shared: Bool;
  router_external: Bool;
  mtu: number;
  port_security_enabled: Bool;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

/** One row per segment in use: the primary key makes a VNI (or VLAN per physnet) belong to one network. */
export interface SegmentAllocationRow {
  network_type: string;
  physical_network: string;
  segmentation_id: number;
  network_id: string;
}

export interface SubnetRow extends StandardColumns {
  name: string;
  network_id: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: Bool;
  dns_nameservers: string;
  host_routes: string;
  allocation_pools: string;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
}

export interface PortRow extends StandardColumns {
  name: string;
  network_id: string;
  admin_state_up: Bool;
  status: string;
  mac_address: string;
  device_id: string;
  device_owner: string;
  binding_host_id: string;
  binding_vif_type: string;
  binding_vif_details: string;
  binding_profile: string;
  binding_vnic_type: string;
  port_security_enabled: Bool;
  allowed_address_pairs: string;
}

/** The primary key (network_id, ip_address) is what makes IPAM never hand out one address twice. */
export interface IpAllocationRow {
  network_id: string;
  ip_address: string;
  subnet_id: string;
  port_id: string;
}

export interface PortSecurityGroupRow { port_id: string; security_group_id: string }

export interface SecurityGroupRow extends StandardColumns {
  name: string;
  stateful: Bool;
}

/** One default group per project, created on first use; the primary key settles a race between two first uses. */
export interface DefaultSecurityGroupRow { project_id: string; security_group_id: string }

export interface SecurityGroupRuleRow extends StandardColumns {
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  /** Canonical text of the rule; unique per group, so a duplicate rule is a unique-key violation. */
  fingerprint: string;
}

export interface RouterRow extends StandardColumns {
  name: string;
  admin_state_up: Bool;
  status: string;
  gw_network_id: string | null;
  enable_snat: Bool;
}

/** An extra route of a router (extraroute). */
export interface RouterRouteRow { router_id: string; destination: string; nexthop: string }

export interface FloatingIpRow extends StandardColumns {
  floating_network_id: string;
  floating_ip_address: string;
  floating_port_id: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
}

/** An agent on a host (Neutron's agents table), as its heartbeats report it; times are ISO 8601 UTC. */
export interface AgentRow {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  availability_zone: string | null;
  admin_state_up: Bool;
  description: string;
  /** JSON object the agent reports (e.g. agent_mode, routers). */
  configurations: string;
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
}

/** The L3 agent hosting a router (l3_agent_scheduler). */
export interface RouterL3AgentBindingRow { router_id: string; l3_agent_id: string }

export interface QuotaRow { project_id: string; resource: string; hard_limit: number }
export interface TagRow { resource_id: string; tag: string }

export interface NetworkTables {
  networks: NetworkRow;
  segment_allocations: SegmentAllocationRow;
  subnets: SubnetRow;
  ports: PortRow;
  ip_allocations: IpAllocationRow;
  port_security_groups: PortSecurityGroupRow;
  security_groups: SecurityGroupRow;
  default_security_groups: DefaultSecurityGroupRow;
  security_group_rules: SecurityGroupRuleRow;
  routers: RouterRow;
  router_routes: RouterRouteRow;
  floating_ips: FloatingIpRow;
  agents: AgentRow;
  router_l3_agent_bindings: RouterL3AgentBindingRow;
  quotas: QuotaRow;
  tags: TagRow;
}

export type NetworkDb = Kysely<NetworkTables>;
/** The tables whose rows carry a revision number and tags. */
export type StandardTable = 'networks' | 'subnets' | 'ports' | 'security_groups' | 'security_group_rules' | 'routers' | 'floating_ips';
