// The volume service's backup work (cinder-backup's manager, run beside the volume driver on its host): chunked
// backups in the file or object-store backup store, made from and restored to the driver's raw view of a volume, and
// backups of the old layout (one qcow2 per backup) still restored and deleted through the driver.
import type { BusContext } from '#lib/bus/index.ts';
import type { DriverVolume, VolumeDriver } from '../drivers/volume-driver.ts';
import type { BackupRef, NewBackupRef } from '../../rpc/volume-rpc.ts';
import type { BackupStore } from './backup-store.ts';
import { createFileBackupStore } from './file-store.ts';
import { createSwiftBackupStore } from './swift-store.ts';
import { backupPrefix, chunkedLocation, parseChunkedLocation } from '../../domain/backup-location.ts';
import type { BackupStoreKind } from '../../domain/backup-location.ts';
import { writeChunkedBackup } from './backup-writer.ts';
import type { ChunkSettings } from './backup-writer.ts';
import { backupSize, deleteBackupObjects, restoreChain } from './backup-reader.ts';

export interface BackupServiceOptions {
  driver: VolumeDriver;
  /** Where the file backup store keeps its containers. */
  backupsDir: string;
  chunks: ChunkSettings;
}

export interface BackupService {
  /** Makes the backup; resolves to its location and object count. Leaves nothing behind on failure. */
  create(ctx: BusContext, backup: NewBackupRef, volume: DriverVolume): Promise<{ location: string; objectCount: number }>;
  /** Replaces the volume's data with the backup's (the volume keeps its size if bigger). */
  restore(ctx: BusContext, backup: BackupRef, volume: DriverVolume): Promise<void>;
  /** A new volume holding the backup's data; resolves to its location. */
  createVolume(ctx: BusContext, volume: DriverVolume, backup: BackupRef): Promise<string>;
  /** Idempotent. */
  delete(ctx: BusContext, backup: BackupRef): Promise<void>;
}

export function createBackupService(opts: BackupServiceOptions): BackupService {
  const { driver } = opts;
  const fileStore = createFileBackupStore({ dir: opts.backupsDir });

  function storeOf(ctx: BusContext, kind: BackupStoreKind, swiftUrl: string | undefined): BackupStore {
    if (kind === 'file') return fileStore;
    if (!swiftUrl) throw new Error('a backup in Object Storage needs the Object Storage account URL');
    if (!ctx.authToken) throw new Error('no user token came with the request to reach Object Storage');
    return createSwiftBackupStore({ accountUrl: swiftUrl, token: ctx.authToken });
  }

  /** The chunked backup a ref names, or undefined for a backup of the old layout. */
  function chunked(ctx: BusContext, b: BackupRef) {
    const at = parseChunkedLocation(b.location);
    if (!at) {
      if (!b.location || !driver.legacyBackups?.owns(b.location)) throw new Error(`backup ${b.id} has no location this volume service knows`);
      return undefined;
    }
    if (!b.container) throw new Error(`backup ${b.id} has no container`);
    return { store: storeOf(ctx, at.kind, b.swiftUrl), container: b.container, prefix: at.prefix };
  }

  async function restoreInto(ctx: BusContext, b: BackupRef, volume: DriverVolume): Promise<string> {
    if (!driver.writeRaw) throw new Error(`the ${driver.name} driver cannot restore backups`);
    const at = chunked(ctx, b)!;
    const size = await backupSize(at.store, at.container, at.prefix);
    return driver.writeRaw(volume, size, (out) => restoreChain(at.store, at.container, at.prefix, out));
  }

  return {
    async create(ctx, b, volume) {
      if (!driver.openRaw) throw new Error(`the ${driver.name} driver cannot back volumes up`);
      if (b.snapshot && !driver.openSnapshotRaw) throw new Error(`the ${driver.name} driver cannot back snapshots up`);
      const store = storeOf(ctx, b.store, b.swiftUrl);
      const prefix = backupPrefix(b.volumeId, b.id);
      let parent = null;
      if (b.parent) {
        const at = parseChunkedLocation(b.parent.location);
        if (!at || at.kind !== b.store) throw new Error(`the parent backup ${b.parent.id} is not a chunked backup in the ${b.store} store`);
        parent = { id: b.parent.id, container: b.parent.container, prefix: at.prefix };
      }
      const reader = b.snapshot ? await driver.openSnapshotRaw!(b.snapshot) : await driver.openRaw(volume);
      try {
        const { objectCount } = await writeChunkedBackup(reader, { store, container: b.container, prefix, backupId: b.id, volumeId: b.volumeId, parent, settings: opts.chunks });
        return { location: chunkedLocation(b.store, prefix), objectCount };
      } finally {
        await reader.close();
      }
    },
    async restore(ctx, b, volume) {
      if (!chunked(ctx, b)) return driver.legacyBackups!.restore(b, volume);
      await restoreInto(ctx, b, volume);
    },
    async createVolume(ctx, volume, b) {
      if (!chunked(ctx, b)) return driver.legacyBackups!.createVolume(volume, b);
      return restoreInto(ctx, b, volume);
    },
    async delete(ctx, b) {
      // Only a failed backup of the old layout has no location (chunked ones get theirs when recorded).
      if (!b.location) return;
      const at = chunked(ctx, b);
      if (!at) return driver.legacyBackups!.delete(b);
      await deleteBackupObjects(at.store, at.container, at.prefix);
    },
  };
}
