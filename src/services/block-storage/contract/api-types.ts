// The Block Storage wire shapes other services use (Compute attaching volumes), as Cinder's API reference defines them.

export interface VolumeAttachmentSummary {
  id: string;
  attachment_id: string;
  volume_id: string;
  server_id: string | null;
  host_name: string | null;
  device: string | null;
  attached_at: string | null;
}

export interface VolumeBody {
  id: string;
  name: string | null;
  description: string | null;
  status: string;
  size: number;
  availability_zone: string;
  bootable: string;
  multiattach: boolean;
  volume_type: string;
  attachments: VolumeAttachmentSummary[];
  metadata: Record<string, string>;
  'os-vol-tenant-attr:tenant_id': string;
}

/** A volume snapshot, as Compute reads one to boot from it. */
export interface SnapshotBody {
  id: string;
  status: string;
  size: number;
  volume_id: string;
}

/** What a host needs to attach the volume: driver_volume_type `file` gives data.path and data.format. */
export interface ConnectionInfo {
  driver_volume_type: string;
  data: Record<string, unknown>;
  attachment_id?: string;
}

export interface AttachmentBody {
  id: string;
  status: string;
  instance: string | null;
  volume_id: string;
  attached_at: string | null;
  detached_at: string | null;
  attach_mode: 'rw' | 'ro';
  connection_info: ConnectionInfo | Record<string, never>;
}

/** os-brick's connector properties, as Compute sends them. */
export interface Connector {
  host: string;
  initiator?: string;
  ip?: string;
  platform?: string;
  os_type?: string;
  multipath?: boolean;
  mountpoint?: string;
  [key: string]: unknown;
}
