// The volume service's RPC contract (cinder-volume's manager): one server per backend, `block-storage-volume.<host@backend>`.
// Long work is a cast answered later through the conductor; connection setup is a call, as Cinder's API makes it.
import { defineRpc } from '#lib/bus/index.ts';

export interface VolumeRef { id: string; sizeGb: number; format: string; location: string | null }
export interface SnapshotRef { id: string; volumeId: string; location: string | null }
export interface BackupRef {
  id: string;
  /** chunked+<store>:<prefix> for chunked backups; a file path for the old layout; null until made. */
  location: string | null;
  /** The container of a chunked backup. */
  container?: string | null;
  /** The Object Storage account URL of backups kept there (reached with the envelope's token). */
  swiftUrl?: string;
}

/** A chunked backup to make: where, and the backup it increments (an incremental) or null (a full backup). */
export interface NewBackupRef {
  id: string;
  volumeId: string;
  store: 'file' | 'swift';
  container: string;
  swiftUrl?: string;
  parent: { id: string; location: string; container: string } | null;
  /** The snapshot to read instead of the volume (a backup of a snapshot). */
  snapshot?: SnapshotRef;
}

/** What a migration's outcome needs to record: where the volume goes and what it leaves behind. */
export interface MigrationRef {
  /** host@backend#pool of the destination. */
  host: string;
  newTypeId: string;
  previousStatus: string;
  /** The status the volume holds while it moves. */
  hold: string;
  /** The volume where it was (deleted there once the copy is recorded). */
  old: VolumeRef & { host: string };
}

/** Where a new volume's data comes from. */
export type VolumeSource =
  | { kind: 'blank' }
  | { kind: 'snapshot'; snapshot: SnapshotRef }
  | { kind: 'volume'; volume: VolumeRef }
  | { kind: 'backup'; backup: BackupRef }
  /** Downloaded from the Image service at `endpoint` with the user's token (the envelope's authToken). */
  | { kind: 'image'; image: { id: string; diskFormat: string; endpoint: string } };

export interface ConnectionInfo {
  driver_volume_type: string;
  data: Record<string, unknown>;
}

export type VolumeRpcMethods = {
  createVolume: { kind: 'cast'; args: { volume: VolumeRef; source: VolumeSource }; result: void };
  deleteVolume: { kind: 'cast'; args: { volume: VolumeRef; reason: 'delete' | 'cleanup' }; result: void };
  extendVolume: { kind: 'cast'; args: { volume: VolumeRef; oldSizeGb: number }; result: void };
  createSnapshot: { kind: 'cast'; args: { snapshot: SnapshotRef; volume: VolumeRef }; result: void };
  deleteSnapshot: { kind: 'cast'; args: { snapshot: SnapshotRef; reason: 'delete' | 'cleanup' }; result: void };
  /** Converts the volume to the image's disk format and uploads it with the user's token (the envelope's authToken). */
  uploadToImage: { kind: 'cast'; args: { volume: VolumeRef; image: { id: string; diskFormat: string; endpoint: string }; previousStatus: string }; result: void };
  createBackup: { kind: 'cast'; args: { backup: NewBackupRef; volume: VolumeRef; previousStatus: string }; result: void };
  restoreBackup: { kind: 'cast'; args: { backup: BackupRef; volume: VolumeRef }; result: void };
  deleteBackup: { kind: 'cast'; args: { backup: BackupRef }; result: void };
  /** A migration's copy, on the destination backend: the volume (same id) made from the source's connection info. */
  importVolume: { kind: 'cast'; args: { volume: VolumeRef; source: ConnectionInfo; migration: MigrationRef }; result: void };
  initializeConnection: { kind: 'call'; args: { volume: VolumeRef; connector: Record<string, unknown>; readOnly: boolean }; result: ConnectionInfo };
  terminateConnection: { kind: 'call'; args: { volume: VolumeRef; connector: Record<string, unknown> | null }; result: void };
};

export const volumeRpc = defineRpc<VolumeRpcMethods>('block-storage-volume', '1.0');

/** The bus server of the volume service owning `host` (host@backend#pool → host@backend). */
export const volumeServer = (host: string): string => host.split('#')[0];
