// Networking's wire types (Neutron v2.0) as other services read and send them.

export interface FixedIp { subnet_id: string; ip_address: string }

export interface Network {
  id: string;
  name: string;
  project_id: string;
  tenant_id: string;
  description: string;
  admin_state_up: boolean;
  status: string;
  subnets: string[];
  shared: boolean;
  'router:external': boolean;
  mtu: number;
  port_security_enabled: boolean;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
  /** Only for admins and services. */
  'provider:network_type'?: string;
  'provider:physical_network'?: string | null;
  'provider:segmentation_id'?: number | null;
}

export interface Subnet {
  id: string;
  name: string;
  project_id: string;
  network_id: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: { destination: string; nexthop: string }[];
  allocation_pools: { start: string; end: string }[];
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  revision_number: number;
}

export interface Port {
  id: string;
  name: string;
  project_id: string;
  network_id: string;
  description: string;
  admin_state_up: boolean;
  /** DOWN until bound to a host; ACTIVE once wired. */
  status: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  device_id: string;
  device_owner: string;
  security_groups: string[];
  port_security_enabled: boolean;
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
  'binding:vnic_type': string;
  /** Only for admins and services. */
  'binding:host_id'?: string;
  'binding:vif_type'?: string;
  'binding:vif_details'?: Record<string, unknown>;
  'binding:profile'?: Record<string, unknown>;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface SecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}

export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  security_group_rules: SecurityGroupRule[];
}

export interface FloatingIp {
  id: string;
  project_id: string;
  floating_network_id: string;
  floating_ip_address: string;
  /** The port and fixed address it forwards to; null when unassociated. */
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
}

export interface CreatePortInput {
  network_id: string;
  name?: string;
  description?: string;
  admin_state_up?: boolean;
  fixed_ips?: { subnet_id?: string; ip_address?: string }[];
  mac_address?: string;
  device_id?: string;
  device_owner?: string;
  security_groups?: string[];
  port_security_enabled?: boolean;
  'binding:host_id'?: string;
  'binding:profile'?: Record<string, unknown>;
  'binding:vnic_type'?: string;
  /** Create on behalf of another project (admins and services). */
  project_id?: string;
}

export type UpdatePortInput = Partial<Omit<CreatePortInput, 'network_id' | 'project_id'>>;

/** List filters: attribute → value(s); several values mean any of them. */
export type ListFilters = Record<string, string | number | boolean | (string | number | boolean)[]>;
