// Networking's options, declared as data (section `network` of stratus.yaml, env STRATUS_NETWORK_<OPTION>).
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const networkOptions = {
  port: { type: 'number', default: 9696, min: 0, max: 65535, help: 'Port of the Networking API.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
  data_plane_driver: { type: 'string', default: 'noop', choices: ['noop'], help: 'What wires ports on hosts: noop binds and activates ports without touching the host.' },
  global_physnet_mtu: { type: 'number', default: 1500, min: 68, max: 65535, help: 'MTU of the underlying physical network; VXLAN networks get 50 bytes less.' },
  vni_ranges: { type: 'string', default: '1:65535', help: 'VXLAN VNIs tenant networks are given, as first:last.' },
  tenant_network_type: { type: 'string', default: 'vxlan', choices: ['vxlan', 'local'], help: 'Segment type of networks created without provider attributes.' },
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
