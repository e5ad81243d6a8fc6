// Block storage's tables as Kysely types: ids are UUID strings, timestamps ISO strings, JSON in text columns.
import type { Kysely } from 'kysely';

export interface VolumeRow {
  id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  attach_status: string;
  host: string | null;
  availability_zone: string;
  volume_type_id: string;
  snapshot_id: string | null;
  source_volid: string | null;
  backup_id: string | null;
  /** JSON: Glance's record of the image the volume was made from (volume_image_metadata). */
  image_metadata: string | null;
  bootable: boolean | number;
  read_only: boolean | number;
  multiattach: boolean | number;
  provider_location: string | null;
  format: string;
  created_at: string;
  updated_at: string;
  launched_at: string | null;
  /** migrating, success or error once a retype moved (or tried to move) the volume to another backend; absent before. */
  migration_status?: string | null;
}

export interface SnapshotRow {
  id: string;
  project_id: string;
  user_id: string;
  volume_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  progress: string;
  provider_location: string | null;
  created_at: string;
  updated_at: string;
}

export interface MetadataRow { owner_id: string; key: string; value: string }

export interface VolumeTypeRow {
  id: string;
  name: string;
  description: string | null;
  is_public: boolean | number;
  qos_specs_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface TypeExtraSpecRow { type_id: string; key: string; value: string }
export interface TypeProjectRow { type_id: string; project_id: string }

export interface QuotaRow { project_id: string; resource: string; hard_limit: number }

export interface AttachmentRow {
  id: string;
  volume_id: string;
  instance_uuid: string | null;
  attached_host: string | null;
  mountpoint: string | null;
  attach_status: string;
  attach_mode: string;
  connector: string | null;
  connection_info: string | null;
  attach_time: string | null;
  detach_time: string | null;
  created_at: string;
  updated_at: string;
}

export interface ServiceRow {
  id: string;
  binary: string;
  host: string;
  availability_zone: string;
  disabled: boolean | number;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface TransferRow {
  id: string;
  volume_id: string;
  /** The giving project. */
  project_id: string;
  name: string | null;
  salt: string;
  crypt_hash: string;
  no_snapshots: boolean | number;
  created_at: string;
}

export interface BackupRow {
  id: string;
  project_id: string;
  user_id: string;
  volume_id: string;
  /** The volume service holding the backup's data (host@backend). */
  host: string;
  availability_zone: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  fail_reason: string | null;
  location: string | null;
  /** Chunked backups: the container of their objects (null for the old layout). */
  container: string | null;
  /** The backup this incremental one builds on; null for a full backup. */
  parent_id: string | null;
  object_count: number;
  /** When the backed-up data was read: the create time, or the snapshot's creation for a backup of a snapshot. */
  data_timestamp: string | null;
  /** The snapshot this backup read (null: the volume itself). */
  snapshot_id: string | null;
  /** JSON object of string keys and values (3.43). */
  metadata: string | null;
  created_at: string;
  updated_at: string;
}

export interface QosSpecsRow {
  id: string;
  name: string;
  /** front-end (applied by Compute), back-end (by the driver) or both. */
  consumer: string;
  /** JSON object of string keys and values. */
  specs: string;
  created_at: string;
}

export interface BlockStorageTables {
  volumes: VolumeRow;
  volume_metadata: MetadataRow;
  snapshots: SnapshotRow;
  snapshot_metadata: MetadataRow;
  volume_types: VolumeTypeRow;
  volume_type_extra_specs: TypeExtraSpecRow;
  volume_type_projects: TypeProjectRow;
  quotas: QuotaRow;
  volume_attachments: AttachmentRow;
  services: ServiceRow;
  volume_transfers: TransferRow;
  backups: BackupRow;
  qos_specs: QosSpecsRow;
}

export type BlockStorageDb = Kysely<BlockStorageTables>;
