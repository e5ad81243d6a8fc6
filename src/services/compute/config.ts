// Compute's options, declared as data (section `compute` of stratus.yaml, env STRATUS_COMPUTE_<OPTION>).
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const computeOptions = {
  port: { type: 'number', default: 8774, min: 0, max: 65535, help: 'Port of the Compute API.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
  max_limit: { type: 'number', default: 1000, min: 1, max: 100000, help: 'Most items a list returns, whatever limit asks (Nova\'s api.max_limit).' },
  host: { type: 'string', default: '', help: 'This host\'s name for its compute agent (empty: the machine\'s hostname).' },
  driver: { type: 'string', default: 'fake', help: 'Hypervisor driver of the compute agent: fake.' },
  fake_hosts: { type: 'number', default: 1, min: 1, max: 10000, help: 'With the fake driver: how many hosts the compute-agent role simulates (<host>-1 … <host>-N when more than one).' },
  fake_vcpus: { type: 'number', default: 16, min: 1, max: 100000, help: 'vCPUs the fake driver reports.' },
  fake_memory_mb: { type: 'number', default: 32768, min: 1, max: 100000000, help: 'Memory (MiB) the fake driver reports.' },
  fake_local_gb: { type: 'number', default: 500, min: 0, max: 100000000, help: 'Local disk (GiB) the fake driver reports.' },
  cpu_allocation_ratio: { type: 'number', default: 4, min: 0.01, max: 1000, help: 'vCPU overcommit reported to Placement (Nova\'s initial_cpu_allocation_ratio).' },
  ram_allocation_ratio: { type: 'number', default: 1, min: 0.01, max: 1000, help: 'Memory overcommit reported to Placement.' },
  disk_allocation_ratio: { type: 'number', default: 1, min: 0.01, max: 1000, help: 'Disk overcommit reported to Placement.' },
  reserved_host_memory_mb: { type: 'number', default: 512, min: 0, max: 100000000, help: 'Memory kept for the host itself.' },
  max_attempts: { type: 'number', default: 3, min: 1, max: 100, help: 'Hosts a build is tried on before the server goes to ERROR.' },
  max_placement_results: { type: 'number', default: 1000, min: 1, max: 100000, help: 'Allocation candidates the scheduler asks Placement for.' },
  service_down_time: { type: 'number', default: 60, min: 1, max: 86400, help: 'Seconds without a heartbeat after which a compute service is down.' },
  allow_resize_to_same_host: { type: 'boolean', default: true, help: 'Whether a resize may stay on its host (Nova\'s option; devstack sets it true).' },
  report_interval: { type: 'number', default: 10, min: 1, max: 3600, help: 'Seconds between a compute agent\'s heartbeats.' },
} as const satisfies OptionSet;

export type ComputeOptions = OptionValues<typeof computeOptions>;
