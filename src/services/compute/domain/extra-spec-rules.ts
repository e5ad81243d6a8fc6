// The flavor extra specs Nova knows (its nova.api.extra_spec_validators, Zed, plus the keys later releases added or
// renamed, so a flavor valid for a newer Nova is not refused here), each with the rule for its value. Data only;
// extra-spec-validation.ts applies it from microversion 2.86.

/** How a value is checked: Nova's three value types, with its optional range, enum and full-match pattern. */
export type ValueRule =
  | { type: 'int'; min?: number; max?: number }
  | { type: 'bool' }
  | { type: 'str'; enum?: readonly string[]; pattern?: string };

/** A known key. `{param}` in the name stands for the regex of the same name in `params`. */
export interface SpecRule {
  name: string;
  params?: Record<string, string>;
  value: ValueRule;
}

const bool: ValueRule = { type: 'bool' };
const int = (min?: number, max?: number): ValueRule => ({ type: 'int', min, max });
const oneOf = (...values: string[]): ValueRule => ({ type: 'str', enum: values });
const matching = (pattern: string): ValueRule => ({ type: 'str', pattern });
const anyString: ValueRule = { type: 'str' };
const rule = (name: string, value: ValueRule, params?: Record<string, string>): SpecRule => ({ name, value, params });

/** A CPU set such as `0-3,^2` (hw:cpu_dedicated_mask, hw:numa_cpus.N); hw:cpu_realtime_mask's groups the first caret. */
const CPU_SET = '\\^?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*';
const REALTIME_MASK = '(\\^)?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*';
/** Granular request groups: `resources1:VCPU`, `trait_fast:...`. */
const GROUP = { group: '([a-zA-Z0-9_-]{1,64})?' };

const hw: SpecRule[] = [
  rule('hw:cpu_realtime', bool),
  rule('hw:cpu_realtime_mask', matching(REALTIME_MASK)),
  rule('hw:hide_hypervisor_id', bool),
  rule('hw:cpu_policy', oneOf('dedicated', 'shared', 'mixed')),
  rule('hw:cpu_thread_policy', oneOf('prefer', 'isolate', 'require')),
  rule('hw:emulator_threads_policy', oneOf('isolate', 'share')),
  rule('hw:cpu_dedicated_mask', matching(CPU_SET)),
  rule('hw:mem_page_size', matching('(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)')),
  rule('hw:locked_memory', bool),
  rule('hw:numa_nodes', int(1)),
  rule('hw:numa_cpus.{num}', matching(CPU_SET), { num: '\\d+' }),
  rule('hw:numa_mem.{num}', int(1), { num: '\\d+' }),
  rule('hw:pci_numa_affinity_policy', oneOf('required', 'preferred', 'legacy', 'socket')),
  ...['sockets', 'cores', 'threads'].flatMap((part) => [
    rule(`hw:cpu_${part}`, int(1)),
    // Zed's validators name the limits hw:max_cpu_*, the spelling later fixed to the hw:cpu_max_* the driver reads.
    rule(`hw:cpu_max_${part}`, int(1)),
    rule(`hw:max_cpu_${part}`, int(1)),
  ]),
  rule('hw:boot_menu', bool),
  rule('hw:vif_multiqueue_enabled', bool),
  rule('hw:mem_encryption', bool),
  rule('hw:mem_encryption_model', oneOf('amd-sev', 'amd-sev-es', 'amd-sev-snp')),
  rule('hw:pmem', matching('([a-zA-Z0-9_]+(,)?)+')),
  rule('hw:pmu', bool),
  rule('hw:serial_port_count', int(0)),
  rule('hw:tpm_model', oneOf('tpm-tis', 'tpm-crb')),
  rule('hw:tpm_version', oneOf('1.2', '2.0')),
  rule('hw:tpm_secret_security', oneOf('user', 'host', 'deployment')),
  rule('hw:watchdog_action', oneOf('none', 'pause', 'poweroff', 'reset', 'disabled')),
  rule('hw:viommu_model', oneOf('intel', 'smmuv3', 'virtio', 'auto')),
  rule('hw:virtio_packed_ring', bool),
  rule('hw:sound_model', oneOf('sb16', 'es1370', 'pcspk', 'ac97', 'ich6', 'ich9', 'usb', 'virtio')),
  rule('hw:usb_model', oneOf('none', 'nec-xhci', 'qemu-xhci')),
  rule('hw:redirected_usb_ports', int(0, 15)),
  rule('hw:ephemeral_encryption', bool),
  rule('hw:ephemeral_encryption_format', oneOf('plain', 'luks', 'luksv2')),
];

const devices: SpecRule[] = [
  rule('hw_rng:allowed', bool),
  rule('hw_rng:rate_bytes', int(0)),
  rule('hw_rng:rate_period', int(0)),
  rule('hw_video:ram_max_mb', int(0)),
  rule('os:secure_boot', oneOf('disabled', 'required')),
  // Hyper-V's, still validated by Zed's Nova.
  rule('os:resolution', oneOf('1024x768', '1280x1024', '1600x1200', '1920x1200', '2560x1600', '3840x2160')),
  rule('os:monitors', int(1, 8)),
  rule('os:vram', oneOf('64', '128', '256', '512', '1024')),
  rule('accel:device_profile', anyString),
  rule('pci_passthrough:alias', matching('[^:]+:\\d+(?:\\s*,\\s*[^:]+:\\d+)*')),
  rule('vmware:hw_version', anyString),
  rule('vmware:storage_policy', anyString),
];

const quota: SpecRule[] = [
  // VMware's per-resource limits and shares.
  ...['cpu', 'memory', 'disk_io', 'vif'].flatMap((res) => [
    rule(`quota:${res}_limit`, int(0)),
    rule(`quota:${res}_reservation`, int()),
    rule(`quota:${res}_shares_level`, oneOf('custom', 'high', 'normal', 'low')),
    rule(`quota:${res}_shares_share`, int(0)),
  ]),
  rule('quota:cpu_shares', int(0)),
  rule('quota:cpu_period', int(0)),
  rule('quota:cpu_quota', int()),
  ...['read', 'write', 'total'].flatMap((stat) => ['bytes', 'iops'].map((metric) => rule(`quota:disk_${stat}_${metric}_sec`, int(0)))),
  ...['inbound', 'outbound'].flatMap((dir) => ['average', 'peak', 'burst'].map((metric) => rule(`quota:vif_${dir}_${metric}`, int(0)))),
];

/**
 * Placement requests. Nova accepts the standard names of os-resource-classes/os-traits and CUSTOM_*; Stratus checks
 * the name's alphabet only (those lists live in Placement, which compute does not import).
 */
const placement: SpecRule[] = [
  rule('resources{group}:{rc}', int(), { ...GROUP, rc: '[A-Z0-9_]+' }),
  rule('trait{group}:{trait}', oneOf('required', 'forbidden'), { ...GROUP, trait: '[A-Z0-9_]+' }),
  rule('group_policy', oneOf('isolate', 'none')),
];

/** Keys without a namespace that Nova still checks: the deprecated spelling of hw:hide_hypervisor_id. */
const bare: SpecRule[] = [rule('hide_hypervisor_id', bool)];

/** ComputeCapabilitiesFilter and AggregateInstanceExtraSpecsFilter operands (`s== 2.1`, `<in> gcc`): any string. */
const filters: SpecRule[] = [
  rule('aggregate_instance_extra_specs:{key}', anyString, { key: '.+' }),
  ...['id', 'uuid', 'service_id', 'host', 'vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used', 'local_gb_used',
    'hypervisor_type', 'hypervisor_version', 'hypervisor_hostname', 'free_ram_mb', 'free_disk_gb', 'current_workload',
    'running_vms', 'disk_available_least', 'host_ip', 'mapped', 'cpu_allocation_ratio', 'ram_allocation_ratio',
    'disk_allocation_ratio', 'total_usable_ram_mb', 'total_usable_disk_gb', 'disk_mb_used', 'free_disk_mb', 'vcpus_total',
    'num_instances', 'num_io_ops', 'failed_builds', 'aggregates', 'cell_uuid', 'updated',
  ].map((cap) => rule(`capabilities:${cap}`, anyString)),
  ...['cpu_info', 'metrics', 'stats', 'numa_topology', 'supported_hv_specs', 'pci_device_pools', 'nodename', 'pci_stats',
    'supported_instances', 'limits', 'instances',
  ].map((cap) => rule(`capabilities:${cap}{filter}`, anyString, { filter: '(:\\w+)*' })),
];

export const KNOWN_EXTRA_SPECS: readonly SpecRule[] = [...hw, ...devices, ...quota, ...placement, ...bare, ...filters];
