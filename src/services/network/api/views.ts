// Rows → Neutron's JSON, one function per resource. Attributes only admins may see are left out unless `admin`
// says the caller may see them (the get_<resource>:<attribute> rules decide that in the handlers).
import type { FloatingIpRow, NetworkRow, PortRow, RouterRow, SecurityGroupRow, SecurityGroupRuleRow, SubnetRow } from '../db/tables.ts';

type Doc = Record<string, unknown>;

const standard = (row: { id: string; project_id: string; description: string; revision_number: number; created_at: string; updated_at: string }, tags: string[]) => ({
  id: row.id, tenant_id: row.project_id, project_id: row.project_id, description: row.description, tags,
  created_at: row.created_at, updated_at: row.updated_at, revision_number: row.revision_number,
});

export function networkView(row: NetworkRow, extra: { subnets: string[]; tags: string[]; provider: boolean }): Doc {
  return {
    ...standard(row, extra.tags), name: row.name, admin_state_up: Boolean(row.admin_state_up), status: row.status,
    subnets: extra.subnets, shared: Boolean(row.shared), 'router:external': Boolean(row.router_external), mtu: row.mtu,
    port_security_enabled: Boolean(row.port_security_enabled),
    ...(extra.provider ? {
      'provider:network_type': row.network_type, 'provider:physical_network': row.physical_network,
      'provider:segmentation_id': row.segmentation_id,
    } : {}),
  };
}

export function subnetView(row: SubnetRow, tags: string[]): Doc {
  return {
    ...standard(row, tags), name: row.name, network_id: row.network_id, ip_version: row.ip_version, cidr: row.cidr,
    gateway_ip: row.gateway_ip, enable_dhcp: Boolean(row.enable_dhcp), dns_nameservers: JSON.parse(row.dns_nameservers),
    host_routes: JSON.parse(row.host_routes), allocation_pools: JSON.parse(row.allocation_pools),
    ipv6_ra_mode: row.ipv6_ra_mode, ipv6_address_mode: row.ipv6_address_mode, subnetpool_id: null,
  };
}

export interface PortExtra {
  fixedIps: { subnet_id: string; ip_address: string }[];
  securityGroups: string[];
  tags: string[];
  binding: boolean;
}

export function portView(row: PortRow, extra: PortExtra): Doc {
  return {
    ...standard(row, extra.tags), name: row.name, network_id: row.network_id, admin_state_up: Boolean(row.admin_state_up),
    status: row.status, mac_address: row.mac_address, fixed_ips: extra.fixedIps, device_id: row.device_id,
    device_owner: row.device_owner, security_groups: extra.securityGroups, port_security_enabled: Boolean(row.port_security_enabled),
    allowed_address_pairs: JSON.parse(row.allowed_address_pairs), 'binding:vnic_type': row.binding_vnic_type,
    ...(extra.binding ? {
      'binding:host_id': row.binding_host_id, 'binding:vif_type': row.binding_vif_type,
      'binding:vif_details': JSON.parse(row.binding_vif_details), 'binding:profile': JSON.parse(row.binding_profile),
    } : {}),
  };
}

export function ruleView(row: SecurityGroupRuleRow): Doc {
  return {
    id: row.id, tenant_id: row.project_id, project_id: row.project_id, security_group_id: row.security_group_id,
    direction: row.direction, ethertype: row.ethertype, protocol: row.protocol, port_range_min: row.port_range_min,
    port_range_max: row.port_range_max, remote_ip_prefix: row.remote_ip_prefix, remote_group_id: row.remote_group_id,
    remote_address_group_id: null, description: row.description, created_at: row.created_at, updated_at: row.updated_at,
    revision_number: row.revision_number,
  };
}

export function securityGroupView(row: SecurityGroupRow, extra: { rules: SecurityGroupRuleRow[]; tags: string[] }): Doc {
  return { ...standard(row, extra.tags), name: row.name, stateful: Boolean(row.stateful), security_group_rules: extra.rules.map(ruleView) };
}

export function routerView(row: RouterRow, extra: { tags: string[]; gatewayIps: { subnet_id: string; ip_address: string }[]; routes?: { destination: string; nexthop: string }[] }): Doc {
  return {
    ...standard(row, extra.tags), name: row.name, admin_state_up: Boolean(row.admin_state_up), status: row.status, routes: extra.routes ?? [],
    external_gateway_info: row.gw_network_id === null ? null : {
      network_id: row.gw_network_id, enable_snat: Boolean(row.enable_snat), external_fixed_ips: extra.gatewayIps,
    },
  };
}

export function floatingIpView(row: FloatingIpRow, tags: string[]): Doc {
  return {
    ...standard(row, tags), floating_network_id: row.floating_network_id, floating_ip_address: row.floating_ip_address,
    port_id: row.port_id, fixed_ip_address: row.fixed_ip_address, router_id: row.router_id, status: row.status,
  };
}
