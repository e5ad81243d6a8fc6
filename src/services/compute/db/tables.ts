// Compute's tables as Kysely types: flavors keyed by their public id (Nova's flavorid), instances by uuid, ISO timestamps.
import type { Generated, Kysely } from 'kysely';

export interface FlavorRow {
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  is_public: boolean | number;
  disabled: boolean | number;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface FlavorExtraSpecRow { flavorid: string; key: string; value: string }
export interface FlavorProjectRow { flavorid: string; project_id: string }

export interface InstanceRow {
  uuid: string;
  display_name: string;
  display_description: string | null;
  project_id: string;
  user_id: string;
  image_ref: string;
  /** JSON of the Flavor (with extra specs) the server was built with. */
  flavor: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  availability_zone: string | null;
  hostname: string;
  host: string | null;
  node: string | null;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  config_drive: boolean | number;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  locked: boolean | number;
  locked_by: string | null;
  reservation_id: string;
  launch_index: number;
  /** JSON: RequestedNetworks. */
  requested_networks: string;
  /** JSON: security group names. */
  security_groups: string;
  /** JSON: NetworkInfo (the ports and their addresses, as the agent bound them). */
  network_info: string;
  /** JSON: RequestSpec (hosts tried, hints). */
  request_spec: string;
  /** JSON: Fault. */
  fault: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  deleted: boolean | number;
}

export interface InstanceMetadataRow { instance_uuid: string; key: string; value: string }

export interface InstanceActionRow {
  id: string;
  instance_uuid: string;
  action: string;
  request_id: string;
  global_request_id: string;
  user_id: string;
  project_id: string;
  start_time: string;
  finish_time: string | null;
  message: string | null;
  updated_at: string;
}

export interface InstanceActionEventRow {
  id: string;
  action_id: string;
  event: string;
  host: string | null;
  start_time: string;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
  details: string | null;
}

export interface ComputeServiceRow {
  id: string;
  host: string;
  binary: string;
  disabled: boolean | number;
  disabled_reason: string | null;
  forced_down: boolean | number;
  last_seen_up: string | null;
  created_at: string;
  updated_at: string;
}

export interface ComputeNodeRow {
  uuid: string;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  host_ip: string;
  created_at: string;
  updated_at: string;
}

export interface KeyPairRow {
  user_id: string;
  name: string;
  type: string;
  public_key: string;
  fingerprint: string;
  created_at: string;
}

export interface QuotaRow { project_id: string; resource: string; hard_limit: number }

export interface ServerGroupRow {
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  policy: string;
  /** JSON: { max_server_per_host?: number } */
  rules: string;
  created_at: string;
}

export interface ServerGroupMemberRow { group_uuid: string; instance_uuid: string }

export interface BlockDeviceMappingRow {
  id: string;
  instance_uuid: string;
  /** Null until the agent has made the volume (sources image, snapshot, blank). */
  volume_id: string | null;
  attachment_id: string | null;
  device_name: string;
  delete_on_termination: boolean | number;
  created_at: string;
  /** Boot from volume (BDM v2, migration 008): image, snapshot, blank or volume; default volume. */
  source_type?: string;
  destination_type?: string;
  boot_index?: number | null;
  /** The image or snapshot a volume is made from. */
  source_id?: string | null;
  volume_size?: number | null;
  guest_format?: string | null;
  disk_bus?: string | null;
  device_type?: string | null;
  volume_type?: string | null;
  tag?: string | null;
}

export interface AggregateRow {
  id: Generated<number>;
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string | null;
}

export interface AggregateHostRow { aggregate_id: number; host: string }
export interface AggregateMetadataRow { aggregate_id: number; key: string; value: string }

export interface MigrationRow {
  id: Generated<number>;
  uuid: string;
  instance_uuid: string;
  project_id: string;
  user_id: string;
  migration_type: string;
  status: string;
  source_compute: string | null;
  source_node: string | null;
  dest_compute: string | null;
  dest_node: string | null;
  /** JSON: FlavorSnapshot before the resize. */
  old_flavor: string;
  /** JSON: FlavorSnapshot asked for. */
  new_flavor: string;
  created_at: string;
  updated_at: string;
}

/** One remote console URL handed out: only the token's SHA-256 is kept; the proxy deletes the row on first use. */
export interface ConsoleAuthTokenRow {
  token_hash: string;
  instance_uuid: string;
  /** novnc or serial: which proxy accepts it. */
  console_type: string;
  /** The compute host the guest runs on, and the unix socket of its console there. */
  host: string;
  socket_path: string;
  created_at: string;
  expires_at: string;
}

/** The password a guest posted to the metadata service, once. */
export interface InstancePasswordRow { instance_uuid: string; password: string; created_at: string }

/** What compute records about a server for itself (Nova's system metadata: shelved_at, shelved_image_id…). */
export interface InstanceSystemMetadataRow { instance_uuid: string; key: string; value: string }

/** A server tag (2.26). */
export interface InstanceTagRow { instance_uuid: string; tag: string }

export interface ComputeTables {
  flavors: FlavorRow;
  flavor_extra_specs: FlavorExtraSpecRow;
  flavor_projects: FlavorProjectRow;
  instances: InstanceRow;
  instance_metadata: InstanceMetadataRow;
  instance_actions: InstanceActionRow;
  instance_action_events: InstanceActionEventRow;
  compute_services: ComputeServiceRow;
  compute_nodes: ComputeNodeRow;
  key_pairs: KeyPairRow;
  quotas: QuotaRow;
  server_groups: ServerGroupRow;
  server_group_members: ServerGroupMemberRow;
  block_device_mappings: BlockDeviceMappingRow;
  aggregates: AggregateRow;
  aggregate_hosts: AggregateHostRow;
  aggregate_metadata: AggregateMetadataRow;
  migrations: MigrationRow;
  instance_passwords: InstancePasswordRow;
  instance_system_metadata: InstanceSystemMetadataRow;
  console_auth_tokens: ConsoleAuthTokenRow;
  instance_tags: InstanceTagRow;
}

export type ComputeDb = Kysely<ComputeTables>;
