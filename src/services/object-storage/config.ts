// Object Storage's options, declared as data (section `object_storage` of stratus.yaml, STRATUS_OBJECT_STORAGE_<OPTION>).
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const objectStorageOptions = {
  port: { type: 'number', default: 8080, min: 0, max: 65535, help: 'Port of the Object Storage proxy (Swift v1 API).' },
  objects_dir: { type: 'string', default: '', help: 'Directory holding one directory per device and the ring file; empty for <data>/objects.' },
  devices: { type: 'list', default: ['d1:1:100', 'd2:2:100', 'd3:3:100', 'd4:4:100'], help: 'Devices of the object ring as name:zone:weight; a change rebalances the ring on start.' },
  replicas: { type: 'number', default: 3, min: 1, max: 6, help: 'Replicas of every object.' },
  part_power: { type: 'number', default: 10, min: 0, max: 20, help: 'The ring has 2^part_power partitions; fixed once the ring is built.' },
  create_devices: { type: 'boolean', default: true, help: 'Create missing device directories on start (all-in-one); off where devices are mounted disks.' },
  fsync: { type: 'boolean', default: true, help: 'fsync object data and directories before acknowledging a write.' },
  verify_on_read_max_bytes: { type: 'number', default: 64 * 1024 * 1024, min: 0, help: 'Objects up to this size are MD5-checked before a byte is sent; larger ones are checked as they stream.' },
  max_file_size: { type: 'number', default: 5 * 1024 ** 3, min: 1, help: 'Largest object a PUT may store, in bytes (Swift\'s max_file_size).' },
  container_listing_limit: { type: 'number', default: 10000, min: 1, max: 100000, help: 'Most entries one listing returns.' },
  expirer_interval: { type: 'number', default: 30, min: 0, help: 'Seconds between object expirer passes (objects past X-Delete-At); 0 disables it.' },
  replicator_interval: { type: 'number', default: 30, min: 0, help: 'Seconds between object replicator passes (lost replicas rebuilt, handoffs moved back); 0 disables it.' },
  auditor_interval: { type: 'number', default: 3600, min: 0, help: 'Seconds between object auditor passes (every replica MD5-checked, corrupt ones quarantined); 0 disables it.' },
  auditor_bytes_per_second: { type: 'number', default: 10 * 1024 * 1024, min: 0, help: 'Most bytes per second the auditor reads per storage node; 0 for no limit.' },
  updater_interval: { type: 'number', default: 30, min: 0, help: 'Seconds between object updater passes (listings repaired from the pending records a crash or a database failure left); 0 disables them.' },
  reclaim_age: { type: 'number', default: 7 * 24 * 3600, min: 3600, help: 'Seconds a tombstone is kept before the replicator removes it; longer than any device outage, or a deleted object can come back.' },
  cors_allow_origin: { type: 'list', default: [], help: 'Origins allowed to make cross-origin (CORS) requests to every container, beside each container\'s X-Container-Meta-Access-Control-Allow-Origin.' },
  storage_node_port: { type: 'number', default: 6200, min: 0, max: 65535, help: 'Port of the object-storage-node role (object server and replication over HTTP, scale-out).' },
  storage_node_host: { type: 'string', default: '', help: 'The address this storage node has in the ring (devices entries name@host:port); empty for stratus.public_host.' },
  node_timeout: { type: 'number', default: 10, min: 1, help: 'Seconds a proxy or replicator waits for a storage node to answer before using another device.' },
  node_check_interval: { type: 'number', default: 5, min: 0, help: 'Seconds between probes of the storage nodes (a node that failed is used again once it answers); 0 disables them.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
} as const satisfies OptionSet;

export type ObjectStorageOptions = OptionValues<typeof objectStorageOptions>;
