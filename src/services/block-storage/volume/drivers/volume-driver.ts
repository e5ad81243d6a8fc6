import type { Readable } from 'node:stream';

// The volume driver contract: what the volume service asks of a storage backend. Every operation cleans up after
// itself on failure (no half-made file is left under a volume's name) and every delete is idempotent.

export interface DriverVolume {
  id: string;
  sizeGb: number;
  /** qcow2 or raw (the file driver); drivers without formats ignore it. */
  format: string;
  /** What createVolume returned; null when the create never finished. */
  location: string | null;
}

export interface DriverSnapshot {
  id: string;
  volumeId: string;
  location: string | null;
}

export interface DriverBackup {
  id: string;
  location: string | null;
}

export interface RawVolumeReader {
  /** The raw size in bytes. */
  size: number;
  /** Reads up to buffer.length bytes at `position`; resolves to the count read (0 at the end). */
  read(buffer: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface RawVolumeWriter {
  write(data: Buffer, position: number): Promise<void>;
}

export interface DriverCapacity {
  totalGb: number;
  freeGb: number;
  /** Sum of the virtual sizes of the volumes and snapshots this backend holds. */
  provisionedGb: number;
  thin: boolean;
  maxOverSubscriptionRatio: number;
}

export interface DriverConnection {
  driver_volume_type: string;
  data: Record<string, unknown>;
}

export interface VolumeDriver {
  readonly name: string;
  /** Prepares the backend (creates directories, removes half-written files of a dead process). */
  start(): Promise<void>;
  capacity(): Promise<DriverCapacity>;
  /** A blank volume; resolves to its location. */
  createVolume(volume: DriverVolume): Promise<string>;
  /** A volume holding a snapshot's data, grown to volume.sizeGb. */
  createVolumeFromSnapshot(volume: DriverVolume, snapshot: DriverSnapshot): Promise<string>;
  /**
   * Optional: a volume holding an image's data (streamed from the Image service), checked to be of the declared
   * format (qcow2 without backing or external data files, or raw) and grown to volume.sizeGb.
   */
  createVolumeFromImage?(volume: DriverVolume, image: { id: string; data: Readable; diskFormat: string }): Promise<string>;
  /**
   * Optional: the volume's data in an image disk format (qcow2 or raw), to upload to the Image service; done()
   * removes whatever the export made.
   */
  exportImage?(volume: DriverVolume, diskFormat: string): Promise<{ data: Readable; size: number; done(): Promise<void> }>;
  /**
   * Optional: a volume holding the data of a volume on another backend, read through that backend's connection info
   * (what a migration copies; the file driver reads a `file` connection's path on this host).
   */
  importVolume?(volume: DriverVolume, source: DriverConnection): Promise<string>;
  /** A volume holding another volume's data, grown to volume.sizeGb. */
  cloneVolume(volume: DriverVolume, source: DriverVolume): Promise<string>;
  /** Idempotent: a missing volume is not an error. */
  deleteVolume(volume: DriverVolume): Promise<void>;
  /** Grows the volume to volume.sizeGb; idempotent. */
  extendVolume(volume: DriverVolume): Promise<void>;
  /**
   * A point-in-time copy independent of the volume: deleting either never harms the other. `progress` hears the
   * percentage copied so far, where the driver can tell.
   */
  createSnapshot(snapshot: DriverSnapshot, volume: DriverVolume, progress?: (percent: number) => void): Promise<string>;
  /** Idempotent. */
  deleteSnapshot(snapshot: DriverSnapshot): Promise<void>;
  /** What a host needs to attach the volume (Compute's driver consumes driver_volume_type and data). */
  initializeConnection(volume: DriverVolume, connector: Record<string, unknown>, readOnly: boolean): Promise<DriverConnection>;
  terminateConnection?(volume: DriverVolume, connector: Record<string, unknown> | null): Promise<void>;
  /**
   * Optional: a read-only view of the volume's bytes as a raw disk (what backups read). close() removes whatever
   * the view made (a temporary raw copy of a qcow2 volume); reading an attached volume is crash-consistent.
   */
  openRaw?(volume: DriverVolume): Promise<RawVolumeReader>;
  /** Optional: the same read-only raw view of a snapshot's bytes (what backups of snapshots read). */
  openSnapshotRaw?(snapshot: DriverSnapshot): Promise<RawVolumeReader>;
  /**
   * Optional: replaces the volume's data (or makes the volume) from raw bytes that `fill` writes into a zeroed raw
   * disk of `sizeBytes`, then grows it to volume.sizeGb. The volume holds either its old data or the new, never half
   * (built under a partial name and renamed); resolves to the volume's location.
   */
  writeRaw?(volume: DriverVolume, sizeBytes: number, fill: (out: RawVolumeWriter) => Promise<void>): Promise<string>;
  /**
   * Optional: backups made before the chunked backup format (one compressed qcow2 per backup on this host), which
   * can still be restored and deleted but no longer made.
   */
  legacyBackups?: {
    /** True when `location` names a backup of the old layout. */
    owns(location: string): boolean;
    restore(backup: DriverBackup, volume: DriverVolume): Promise<void>;
    createVolume(volume: DriverVolume, backup: DriverBackup): Promise<string>;
    /** Idempotent. */
    delete(backup: DriverBackup): Promise<void>;
  };
}
