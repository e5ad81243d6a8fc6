// Compute's options, declared as data (section `compute` of stratus.yaml, env STRATUS_COMPUTE_<OPTION>).
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const computeOptions = {
  port: { type: 'number', default: 8774, min: 0, max: 65535, help: 'Port of the Compute API.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
  max_limit: { type: 'number', default: 1000, min: 1, max: 100000, help: 'Most items a list returns, whatever limit asks (Nova\'s api.max_limit).' },
  host: { type: 'string', default: '', help: 'This host\'s name for its compute agent (empty: the machine\'s hostname).' },
  driver: { type: 'string', default: 'fake', help: 'Hypervisor driver of the compute agent: fake or qemu.' },
  fake_hosts: { type: 'number', default: 1, min: 1, max: 10000, help: 'With the fake driver: how many hosts the compute-agent role simulates (<host>-1 … <host>-N when more than one).' },
  fake_vcpus: { type: 'number', default: 16, min: 1, max: 100000, help: 'vCPUs the fake driver reports.' },
  fake_memory_mb: { type: 'number', default: 32768, min: 1, max: 100000000, help: 'Memory (MiB) the fake driver reports.' },
  fake_local_gb: { type: 'number', default: 500, min: 0, max: 100000000, help: 'Local disk (GiB) the fake driver reports.' },
  // The qemu driver (issue 8): one qemu-system-x86_64 per guest, guests and the image cache under instances_path.
  qemu_binary: { type: 'string', default: 'qemu-system-x86_64', help: 'The QEMU system emulator the qemu driver runs.' },
  instances_path: { type: 'string', default: '', help: 'Directory of the qemu driver\'s guests and image cache (empty: <data dir>/instances).' },
  qemu_accel: { type: 'string', default: 'auto', choices: ['auto', 'kvm', 'tcg'], help: 'Accelerator of qemu guests: kvm, tcg, or auto (KVM if a probe guest boots under it, else TCG).' },
  image_cache_unused_seconds: { type: 'number', default: 86400, min: 0, max: 100000000, help: 'Seconds a cached base image stays after the last instance using it is gone (Nova\'s remove_unused_original_minimum_age_seconds).' },
  soft_shutdown_timeout: { type: 'number', default: 60, min: 0, max: 3600, help: 'Seconds a stop or soft reboot waits for the guest\'s ACPI shutdown before forcing it (Nova\'s shutdown_timeout).' },
  cpu_allocation_ratio: { type: 'number', default: 4, min: 0.01, max: 1000, help: 'vCPU overcommit reported to Placement (Nova\'s initial_cpu_allocation_ratio).' },
  ram_allocation_ratio: { type: 'number', default: 1, min: 0.01, max: 1000, help: 'Memory overcommit reported to Placement.' },
  disk_allocation_ratio: { type: 'number', default: 1, min: 0.01, max: 1000, help: 'Disk overcommit reported to Placement.' },
  reserved_host_memory_mb: { type: 'number', default: 512, min: 0, max: 100000000, help: 'Memory kept for the host itself.' },
  max_attempts: { type: 'number', default: 3, min: 1, max: 100, help: 'Hosts a build is tried on before the server goes to ERROR.' },
  max_placement_results: { type: 'number', default: 1000, min: 1, max: 100000, help: 'Allocation candidates the scheduler asks Placement for.' },
  service_down_time: { type: 'number', default: 60, min: 1, max: 86400, help: 'Seconds without a heartbeat after which a compute service is down.' },
  allow_resize_to_same_host: { type: 'boolean', default: true, help: 'Whether a resize may stay on its host (Nova\'s option; devstack sets it true).' },
  shelved_offload_time: { type: 'number', default: 0, min: -1, max: 100000000, help: 'Seconds a shelved server keeps its host before it is offloaded: 0 at once, -1 never (Nova\'s option).' },
  shelved_poll_interval: { type: 'number', default: 3600, min: 1, max: 100000000, help: 'Seconds between an agent\'s checks for shelved servers due to be offloaded (Nova\'s option; checked on its heartbeat).' },
  rescue_timeout: { type: 'number', default: 0, min: 0, max: 100000000, help: 'Seconds after which a rescued server is unrescued by its agent (0: never; Nova\'s option; checked on the heartbeat).' },
  report_interval: { type: 'number', default: 10, min: 1, max: 3600, help: 'Seconds between a compute agent\'s heartbeats.' },
  // Remote consoles (Nova's [vnc], [serial_console], [consoleauth] and [console] options): the compute-novncproxy role
  // serves noVNC and the serial websocket; compute-api hands out one-time URLs to them.
  novncproxy_port: { type: 'number', default: 6080, min: 0, max: 65535, help: 'Port of the noVNC console proxy (page and websocket).' },
  serialproxy_port: { type: 'number', default: 6083, min: 0, max: 65535, help: 'Port of the serial console websocket proxy.' },
  novncproxy_base_url: { type: 'string', default: '', help: 'The noVNC page users are sent to (empty: http://<public_host>:<novncproxy_port>/vnc_lite.html).' },
  serialproxy_base_url: { type: 'string', default: '', help: 'The serial console websocket users are sent to (empty: ws://<public_host>:<serialproxy_port>/).' },
  console_token_ttl: { type: 'number', default: 600, min: 1, max: 86400, help: 'Seconds a console URL may wait for its first (and only) use.' },
  console_allowed_origins: { type: 'list', default: [], help: 'Browser origins (host names) allowed to open consoles besides the proxy\'s own host.' },
  // The metadata API (Nova's api-metadata, role compute-metadata): reached only through Networking's metadata proxy,
  // which signs the instance id with the metadata_proxy shared secret; not in the catalog.
  metadata_port: { type: 'number', default: 8775, min: 0, max: 65535, help: 'Port of the metadata API.' },
  metadata_listen: { type: 'string', default: '', help: 'Address the metadata API listens on (empty: the cloud\'s bind_host).' },
  metadata_cache_expiration: { type: 'number', default: 15, min: 0, max: 3600, help: 'Seconds the metadata API reuses what it read about an instance (0: read it for every request).' },
  dhcp_domain: { type: 'string', default: 'novalocal', help: 'Domain appended to instance hostnames in metadata (Nova\'s dhcp_domain; empty for none).' },
  force_config_drive: { type: 'boolean', default: false, help: 'Give every server a config drive, whether or not it asked for one (Nova\'s force_config_drive).' },
  // Notifications on the bus (Nova's [notifications] notification_format and the topics of both formats).
  notification_format: { type: 'string', default: 'none', choices: ['versioned', 'unversioned', 'both', 'none'], help: 'Which notifications compute publishes: versioned (Nova\'s instance.* payload objects), unversioned (legacy compute.instance.*), both, or none (the default: like Nova without a notification driver, nothing is sent and the flows pay nothing for it).' },
  versioned_notifications_topics: { type: 'list', default: ['versioned_notifications'], help: 'Topics of the versioned notifications (Nova\'s versioned_notifications_topics).' },
  notification_topics: { type: 'list', default: ['notifications'], help: 'Topics of the unversioned notifications (oslo.messaging\'s notifications topics).' },
} as const satisfies OptionSet;

export type ComputeOptions = OptionValues<typeof computeOptions>;
