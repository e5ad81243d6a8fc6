// Networking's options, declared as data (section `network` of stratus.yaml, env STRATUS_NETWORK_<OPTION>).
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const networkOptions = {
  port: { type: 'number', default: 9696, min: 0, max: 65535, help: 'Port of the Networking API.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
  data_plane_driver: { type: 'string', default: 'noop', choices: ['noop', 'linuxbridge'], help: 'What wires ports on hosts: noop binds and activates ports without touching the host; linuxbridge has each host\'s network-agent wire bridges, VXLAN, taps and DHCP (needs root, iproute2, dnsmasq), and ports turn ACTIVE when it has.' },
  host: { type: 'string', default: '', help: 'This host\'s name for its network-agent, matching binding:host_id (empty: the machine\'s hostname, as Compute\'s agent uses).' },
  tunnel_ip: { type: 'string', default: '', help: 'linuxbridge: this host\'s VXLAN tunnel address (local_ip); empty lets the kernel choose.' },
  vxlan_group: { type: 'string', default: '', help: 'linuxbridge: multicast group VXLAN floods unknown traffic to; empty for none.' },
  vxlan_peers: { type: 'list', default: [], help: 'linuxbridge: other hosts\' tunnel addresses VXLAN floods to by unicast (when there is no multicast group).' },
  physical_interface_mappings: { type: 'list', default: [], help: 'linuxbridge: physical networks of flat and VLAN networks, as physnet:interface.' },
  dhcp_agent: { type: 'boolean', default: true, help: 'Whether this host\'s network-agent serves DHCP for every network with a DHCP-enabled subnet (one such host per cloud; only with a data plane other than noop).' },
  dhcp_lease_seconds: { type: 'number', default: 86400, min: 120, max: 31536000, help: 'linuxbridge: DHCP lease time.' },
  state_path: { type: 'string', default: '', help: 'linuxbridge: where DHCP servers, routers and metadata proxies keep their files (empty: <data dir>/network).' },
  // L3, the external network on one host, and metadata (Neutron's l3 and metadata agents).
  l3_agent: { type: 'boolean', default: true, help: 'Whether this host\'s network-agent is an L3 agent: it hosts the routers the server schedules to it (qrouter namespaces with SNAT and floating IPs; in memory only with noop). Every L3 host needs the external network.' },
  report_interval: { type: 'number', default: 30, min: 1, max: 3600, help: 'Seconds between the network-agent\'s heartbeats (report_state) to the server.' },
  agent_down_time: { type: 'number', default: 75, min: 2, max: 86400, help: 'Seconds without a heartbeat after which the server counts an agent dead (alive false; no new routers are scheduled to it). Should be at least twice report_interval.' },
  allow_automatic_l3agent_failover: { type: 'boolean', default: false, help: 'Move routers off L3 agents that are dead (checked every agent_down_time/2 s) to alive ones. Off, as in Neutron: a router stays on its agent until an admin moves it.' },
  fake_hosts: { type: 'number', default: 1, min: 1, max: 1000, help: 'With the noop data plane: how many hosts the network-agent role simulates (<host>-1 … <host>-N when more than one, as compute.fake_hosts names its hosts), each with its own agent.' },
  host_external_cidr: { type: 'string', default: '', help: 'linuxbridge: the host\'s address on the external network, e.g. 172.24.4.1/24 (devstack\'s br-ex): a veth pair stratus-ex (this address) / stratus-ex-p (the physical interface of host_external_physnet), so the host reaches floating IPs. Empty for none.' },
  host_external_ipv6_cidr: { type: 'string', default: '', help: 'linuxbridge: the host\'s IPv6 address on the external network, e.g. 2001:db8::1/64 (the external IPv6 subnet\'s gateway), also on stratus-ex; routers route IPv6 through it without NAT. Empty for none.' },
  host_external_physnet: { type: 'string', default: 'public', help: 'linuxbridge: the physical network stratus-ex-p stands for (unless physical_interface_mappings maps it elsewhere).' },
  metadata_proxy: { type: 'boolean', default: true, help: 'linuxbridge: proxy guests\' requests to 169.254.169.254 from router namespaces to Compute\'s metadata API, through this host\'s metadata agent (haproxy per namespace; Debian package haproxy).' },
  enable_isolated_metadata: { type: 'boolean', default: true, help: 'linuxbridge: also serve metadata from the DHCP namespace for subnets without a router (with DHCP option 121 routing 169.254.169.254 there).' },
  nova_metadata_url: { type: 'string', default: '', help: 'Compute\'s metadata API, where the metadata agent forwards guests\' requests (empty: this host\'s, at compute.metadata_port).' },
  global_physnet_mtu: { type: 'number', default: 1500, min: 68, max: 65535, help: 'MTU of the underlying physical network; VXLAN networks get 50 bytes less.' },
  vni_ranges: { type: 'string', default: '1:65535', help: 'VXLAN VNIs tenant networks are given, as first:last.' },
  tenant_network_type: { type: 'string', default: 'vxlan', choices: ['vxlan', 'local'], help: 'Segment type of networks created without provider attributes.' },
  max_routes: { type: 'number', default: 30, min: 0, max: 10000, help: 'Most extra routes one router may hold.' },
  max_fixed_ips_per_port: { type: 'number', default: 5, min: 1, max: 100, help: 'Most fixed IPs one port may hold.' },
  pagination_max_limit: { type: 'number', default: -1, min: -1, max: 100000, help: 'Most items one list returns, whatever limit asks; -1 for no cap.' },
  quota_network: { type: 'number', default: 100, min: -1, max: 1e9, help: 'Default networks per project; -1 unlimited.' },
  quota_subnet: { type: 'number', default: 100, min: -1, max: 1e9, help: 'Default subnets per project.' },
  quota_port: { type: 'number', default: 500, min: -1, max: 1e9, help: 'Default ports per project.' },
  quota_router: { type: 'number', default: 10, min: -1, max: 1e9, help: 'Default routers per project.' },
  quota_floatingip: { type: 'number', default: 50, min: -1, max: 1e9, help: 'Default floating IPs per project.' },
  quota_security_group: { type: 'number', default: 10, min: -1, max: 1e9, help: 'Default security groups per project.' },
  quota_security_group_rule: { type: 'number', default: 100, min: -1, max: 1e9, help: 'Default security group rules per project.' },
} as const satisfies OptionSet;

export type NetworkOptions = OptionValues<typeof networkOptions>;
