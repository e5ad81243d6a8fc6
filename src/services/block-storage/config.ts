// Block storage's options, declared as data (section `block_storage` of stratus.yaml, env STRATUS_BLOCK_STORAGE_<OPTION>).
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const blockStorageOptions = {
  port: { type: 'number', default: 8776, min: 0, max: 65535, help: 'Port of the Block Storage API.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
  bus_url: { type: 'string', default: '', help: 'Message bus between the api, scheduler, conductor and volume roles (memory://<name> or amqp://…); empty for the cloud\'s bus_url.' },
  host: { type: 'string', default: 'localhost', help: 'This volume service\'s host name (cinder-volume\'s `host`); volumes it creates carry host@backend.' },
  backend_name: { type: 'string', default: 'file', help: 'The volume backend\'s name (volume_backend_name), matched against volume types\' extra spec.' },
  volume_driver: { type: 'string', default: 'file', choices: ['file', 'fake'], help: 'The volume driver: file (qemu-img files under volumes_dir) or fake (in memory).' },
  volumes_dir: { type: 'string', default: '', help: 'Where the file driver keeps volumes; default <data>/volumes.' },
  backups_dir: { type: 'string', default: '', help: 'Where the file backup driver keeps its containers (and where backups of the old layout are); default <data>/backups.' },
  backup_driver: { type: 'string', default: 'file', choices: ['file', 'object-store'], help: 'Where new backups go (Cinder\'s backup_driver): file (containers under backups_dir on the volume service\'s host) or object-store (Object Storage, in the backup owner\'s account, with the user\'s token).' },
  backup_container: { type: 'string', default: 'volumebackups', help: 'Container of backups created without one (Cinder\'s backup_swift_container).' },
  backup_swift_url: { type: 'string', default: '', help: 'Object Storage URL up to the account prefix, e.g. http://host:8080/v1/AUTH_ (the project id is appended); empty: from the catalog.' },
  backup_object_size: { type: 'number', default: 33554432, min: 65536, max: 1073741824, help: 'Largest backup data object in bytes (Cinder\'s backup_swift_object_size); a multiple of backup_sha_block_size.' },
  backup_sha_block_size: { type: 'number', default: 32768, min: 512, max: 16777216, help: 'Block size in bytes of the sha256 list incremental backups compare (Cinder\'s backup_swift_block_size).' },
  backup_compression_algorithm: { type: 'string', default: 'zlib', choices: ['zlib', 'none'], help: 'Compression of backup data objects.' },
  volume_format: { type: 'string', default: 'qcow2', choices: ['qcow2', 'raw'], help: 'Format of new volumes of the file driver (a volume type\'s `volume_format` extra spec overrides it).' },
  fake_capacity_gb: { type: 'number', default: 1000, min: 1, help: 'Capacity the fake driver reports.' },
  max_over_subscription_ratio: { type: 'number', default: 20, min: 1, help: 'How far the file driver\'s thin volumes may oversubscribe the filesystem.' },
  storage_availability_zone: { type: 'string', default: 'nova', help: 'Availability zone of this volume service (Cinder\'s default is `nova`).' },
  report_interval_s: { type: 'number', default: 10, min: 1, max: 3600, help: 'How often the volume service reports its capabilities and heartbeat.' },
  service_down_time_s: { type: 'number', default: 60, min: 1, help: 'A service without a heartbeat for this long is listed as down.' },
  rpc_timeout_ms: { type: 'number', default: 120000, min: 1000, help: 'How long a workflow waits for the volume service (qemu-img on a big volume can take a while).' },
  max_limit: { type: 'number', default: 1000, min: 1, max: 100000, help: 'Most items a list returns (osapi_max_limit).' },
  quota_volumes: { type: 'number', default: 10, min: -1, help: 'Default volumes per project (-1 unlimited).' },
  quota_snapshots: { type: 'number', default: 10, min: -1, help: 'Default snapshots per project (-1 unlimited).' },
  quota_gigabytes: { type: 'number', default: 1000, min: -1, help: 'Default gigabytes of volumes and snapshots per project (-1 unlimited).' },
  quota_backups: { type: 'number', default: 10, min: -1, help: 'Default backups per project (-1 unlimited).' },
  quota_backup_gigabytes: { type: 'number', default: 1000, min: -1, help: 'Default backup gigabytes per project (-1 unlimited).' },
  quota_groups: { type: 'number', default: 10, min: -1, help: 'Default groups per project (not built yet; reported only).' },
  per_volume_gigabytes: { type: 'number', default: -1, min: -1, help: 'Largest size of one volume (-1 unlimited).' },
} as const satisfies OptionSet;

export type BlockStorageOptions = OptionValues<typeof blockStorageOptions>;
