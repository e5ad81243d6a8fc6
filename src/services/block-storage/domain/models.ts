// Volumes, snapshots, types and attachments as the domain sees them: Cinder's fields in camelCase; api/views.ts
// shapes them for the wire.

export interface Volume {
  id: string;
  /** A retype's move to another backend: migrating, success or error (null: never moved). */
  migrationStatus?: string | null;
  projectId: string;
  userId: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  attachStatus: 'attached' | 'detached';
  /** host@backend#pool once scheduled. */
  host: string | null;
  availabilityZone: string;
  volumeTypeId: string;
  snapshotId: string | null;
  sourceVolid: string | null;
  /** The backup a new volume is restored from. */
  backupId: string | null;
  /** The image a volume was made from, as Cinder shows it in volume_image_metadata. */
  imageMetadata: Record<string, string> | null;
  bootable: boolean;
  readOnly: boolean;
  multiattach: boolean;
  /** Where the driver keeps the data (the file driver: the file's path). */
  providerLocation: string | null;
  format: string;
  createdAt: string;
  updatedAt: string;
  launchedAt: string | null;
}

export interface Snapshot {
  id: string;
  projectId: string;
  userId: string;
  volumeId: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  progress: string;
  providerLocation: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface VolumeType {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs: Record<string, string>;
  qosSpecsId: string | null;
}

export interface Attachment {
  id: string;
  volumeId: string;
  instanceUuid: string | null;
  attachedHost: string | null;
  mountpoint: string | null;
  /** reserved, attaching, attached, detaching, detached, error_attaching… */
  status: string;
  attachMode: 'rw' | 'ro';
  connector: Record<string, unknown> | null;
  connectionInfo: Record<string, unknown> | null;
  attachedAt: string | null;
  detachedAt: string | null;
  createdAt: string;
}

/** What a volume service reports to the scheduler (Cinder's volume stats). */
export interface BackendCapabilities {
  /** host@backend */
  host: string;
  pool: string;
  backendName: string;
  availabilityZone: string;
  totalCapacityGb: number;
  freeCapacityGb: number;
  provisionedCapacityGb: number;
  thinProvisioning: boolean;
  maxOverSubscriptionRatio: number;
  /** ISO time of the report; stale reports are ignored. */
  timestamp: string;
}
