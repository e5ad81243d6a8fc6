// Networking's policy rules as data, with Neutron's rule names and secure-RBAC defaults (the project's members
// write, its readers read, admins do everything; shared and external networks are visible to all), so an operator's
// Neutron overrides apply unchanged. `<action>_<resource>:<attribute>` rules guard single attributes.
import { baseRules } from '#lib/policy/index.ts';
import type { PolicyRule } from '#lib/policy/index.ts';

const ADMIN = 'rule:admin_only';
const SERVICE = 'rule:service_api';
const MEMBER = 'rule:admin_only or rule:project_member';
const READER = 'rule:admin_only or rule:project_reader';
const NET_OWNER_MEMBER = 'rule:admin_only or rule:network_owner_member';
const ANY = '@';

const r = (name: string, check: string, description: string): PolicyRule => ({ name, check, description });

/** The four CRUD rules of a resource. */
function crud(resource: string, get: string, write: string): PolicyRule[] {
  return [
    r(`create_${resource}`, write, `Create a ${resource}.`),
    r(`get_${resource}`, get, `Show or list ${resource}s.`),
    r(`update_${resource}`, write, `Update a ${resource}.`),
    r(`delete_${resource}`, write, `Delete a ${resource}.`),
  ];
}

function attr(actions: string[], resource: string, attribute: string, check: string): PolicyRule[] {
  return actions.map((a) => r(`${a}_${resource}:${attribute}`, check, `${a} the ${attribute} attribute of a ${resource}.`));
}

const CU = ['create', 'update'];

export const networkPolicy: PolicyRule[] = [
  ...baseRules,
  r('admin_only', 'rule:context_is_admin', 'A cloud administrator.'),
  r('service_api', 'rule:service_role', 'Another OpenStack service (Compute binding ports).'),
  r('shared', "'True':%(shared)s", 'The target network (or the network of the target) is shared.'),
  r('external', "'True':%(router:external)s", 'The target network is external.'),
  r('network_owner_member', 'role:member and project_id:%(network:tenant_id)s', 'A member of the project owning the target\'s network.'),
  r('network_owner_reader', 'role:reader and project_id:%(network:tenant_id)s', 'A reader of the project owning the target\'s network.'),
  r('network_device', "'True':%(network_device)s", 'The port belongs to the network itself (device_owner network:…).'),

  ...crud('network', `${READER} or rule:shared or rule:external or ${SERVICE}`, MEMBER),
  ...['shared', 'router:external', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id']
    .flatMap((a) => attr([...CU, 'get'], 'network', a, ADMIN).filter((x) => !(x.name === 'get_network:shared' || x.name === 'get_network:router:external'))),
  r('get_network:router:external', ANY, 'See whether a network is external.'),
  r('get_network:shared', ANY, 'See whether a network is shared.'),
  ...attr(CU, 'network', 'port_security_enabled', MEMBER),

  r('create_subnet', NET_OWNER_MEMBER, 'Create a subnet on a network the caller\'s project owns.'),
  r('get_subnet', `${READER} or rule:shared or rule:network_owner_reader or ${SERVICE}`, 'Show or list subnets.'),
  r('update_subnet', NET_OWNER_MEMBER, 'Update a subnet.'),
  r('delete_subnet', NET_OWNER_MEMBER, 'Delete a subnet.'),

  r('create_port', `${MEMBER} or ${SERVICE}`, 'Create a port.'),
  r('get_port', `${READER} or rule:network_owner_reader or ${SERVICE}`, 'Show or list ports.'),
  r('update_port', `${MEMBER} or ${SERVICE}`, 'Update a port.'),
  r('delete_port', `${MEMBER} or rule:network_owner_member or ${SERVICE}`, 'Delete a port.'),
  ...attr(CU, 'port', 'device_owner', `not rule:network_device or ${NET_OWNER_MEMBER} or ${SERVICE}`),
  ...attr(CU, 'port', 'mac_address', `${NET_OWNER_MEMBER} or ${SERVICE}`),
  ...attr(CU, 'port', 'fixed_ips:ip_address', `${NET_OWNER_MEMBER} or ${SERVICE}`),
  ...attr(CU, 'port', 'fixed_ips:subnet_id', `${NET_OWNER_MEMBER} or rule:shared or ${SERVICE}`),
  ...attr(CU, 'port', 'port_security_enabled', `${NET_OWNER_MEMBER} or ${SERVICE}`),
  ...attr(CU, 'port', 'allowed_address_pairs', `${NET_OWNER_MEMBER} or ${SERVICE}`),
  ...attr(CU, 'port', 'binding:host_id', `${ADMIN} or ${SERVICE}`),
  ...attr(CU, 'port', 'binding:profile', `${ADMIN} or ${SERVICE}`),
  ...attr(CU, 'port', 'binding:vnic_type', `${MEMBER} or ${SERVICE}`),
  ...['binding:host_id', 'binding:vif_type', 'binding:vif_details', 'binding:profile'].map((a) => r(`get_port:${a}`, `${ADMIN} or ${SERVICE}`, `See a port's ${a}.`)),

  ...crud('security_group', READER, MEMBER),
  r('create_security_group_rule', MEMBER, 'Add a rule to a security group of the caller\'s project.'),
  r('get_security_group_rule', `${READER} or (role:reader and project_id:%(security_group:tenant_id)s)`, 'Show or list security group rules.'),
  r('delete_security_group_rule', MEMBER, 'Delete a security group rule.'),

  ...crud('router', READER, MEMBER),
  ...attr(CU, 'router', 'external_gateway_info', MEMBER),
  ...attr(CU, 'router', 'external_gateway_info:network_id', MEMBER),
  ...attr(CU, 'router', 'external_gateway_info:enable_snat', ADMIN),
  ...attr(CU, 'router', 'external_gateway_info:external_fixed_ips', ADMIN),
  r('add_router_interface', MEMBER, 'Attach a subnet or port to a router.'),
  r('remove_router_interface', MEMBER, 'Detach a subnet or port from a router.'),
  r('add_extraroutes', MEMBER, 'Add extra routes to a router (extraroute-atomic).'),
  r('remove_extraroutes', MEMBER, 'Remove extra routes from a router (extraroute-atomic).'),

  // Agents and L3 agent scheduling: the operator's view of hosts.
  r('get_agent', ADMIN, 'List and show agents.'),
  r('update_agent', ADMIN, 'Enable, disable or describe an agent.'),
  r('delete_agent', ADMIN, 'Delete an agent.'),
  r('get_l3-routers', ADMIN, 'List the routers an L3 agent hosts.'),
  r('create_l3-router', ADMIN, 'Schedule a router to an L3 agent.'),
  r('delete_l3-router', ADMIN, 'Remove a router from an L3 agent.'),
  r('get_l3-agents', ADMIN, 'List the L3 agents hosting a router.'),

  // Compute's metadata API reads an instance's floating IPs (EC2 public-ipv4) as a service.
  ...crud('floatingip', `${READER} or ${SERVICE}`, MEMBER),
  r('create_floatingip:floating_ip_address', ADMIN, 'Choose the address of a new floating IP.'),

  r('get_quota', READER, 'Show a project\'s quotas and usage.'),
  r('update_quota', ADMIN, 'Set a project\'s quotas.'),
  r('delete_quota', ADMIN, 'Reset a project\'s quotas to the defaults.'),
];
