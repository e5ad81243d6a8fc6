// The conductor's handlers: records what the volume service reports (it never touches the database), its heartbeat,
// and repairs what a stopped volume service left transitional, as cinder-volume's init_host does. Every update is
// conditional on the status the operation started from, so a late or repeated report changes nothing it should not.
import type { Bus, BusContext, RpcHandlers } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import { BACKUP_RECOVERY, SNAPSHOT_RECOVERY, VOLUME_RECOVERY } from '../domain/volume-states.ts';
import type { Volume } from '../domain/models.ts';
import type { BlockStorageDb } from '../db/tables.ts';
import { countSnapshotsOf, deleteVolumeRow, getVolume, updateVolume, volumesInStatuses } from '../db/volumes-repo.ts';
import { deleteSnapshotRow, getSnapshot, snapshotsOnHost, updateSnapshot } from '../db/snapshots-repo.ts';
import { heartbeat } from '../db/services-repo.ts';
import type { ConductorRpcMethods } from '../rpc/conductor-rpc.ts';
import type { Notifier } from './notifier.ts';
import { tellComputeVolumeExtended } from './compute-events.ts';
import type { ComputeEvents } from './compute-events.ts';
import { volumeRpc, volumeServer } from '../rpc/volume-rpc.ts';
import type { VolumeRef } from '../rpc/volume-rpc.ts';

export interface ConductorDeps {
  db: BlockStorageDb;
  bus: Bus;
  notifier: Notifier;
  log: Logger;
  /** Compute's external events API; absent when this cloud runs no Compute (attached volumes then grow unseen). */
  compute?: ComputeEvents;
}

const ref = (v: Volume): VolumeRef => ({ id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation });

export function conductorHandlers(deps: ConductorDeps): RpcHandlers<ConductorRpcMethods> {
  const { db, log, notifier } = deps;
  const volume = volumeRpc.client(deps.bus);

  /** A volume whose data is gone (status `deleted`) loses its row once no snapshot refers to it any more. */
  async function finishVolumeDelete(volumeId: string): Promise<void> {
    const v = await getVolume(db, volumeId);
    if (v?.status === 'deleted' && await countSnapshotsOf(db, volumeId) === 0) await deleteVolumeRow(db, volumeId);
  }

  return {
    async volumeCreated(ctx, r) {
      const changes = r.ok ? { status: 'available', provider_location: r.location ?? null, launched_at: new Date().toISOString() } : { status: 'error' };
      const restoredFrom = (await getVolume(db, r.volumeId))?.backupId;
      if (restoredFrom) {
        await db.updateTable('backups').set({ status: 'available', updated_at: new Date().toISOString() }).where('id', '=', restoredFrom).where('status', '=', 'restoring').execute();
      }
      if (await updateVolume(db, r.volumeId, changes, ['creating'])) {
        const v = await getVolume(db, r.volumeId);
        if (r.ok && v) notifier.volume(ctx, 'create.end', v);
        return;
      }
      // Deleted or failed over while the backend worked: its data must not outlive the record.
      const v = await getVolume(db, r.volumeId);
      if (r.ok && v?.host && v.status === 'error') {
        await volume.cast('deleteVolume', { volume: { ...ref(v), location: r.location ?? null }, reason: 'cleanup' }, ctx, { server: volumeServer(v.host) });
      } else if (!r.ok) log.warn({ volumeId: r.volumeId, error: r.error }, 'volume create failed');
    },
    async volumeDeleted(ctx, r) {
      if (r.reason === 'cleanup') {
        if (!r.ok) log.warn({ volumeId: r.volumeId, error: r.error }, 'cleanup of a volume\'s data failed');
        return;
      }
      if (!r.ok) {
        await updateVolume(db, r.volumeId, { status: 'error_deleting' }, ['deleting']);
        return;
      }
      if (await updateVolume(db, r.volumeId, { status: 'deleted', provider_location: null }, ['deleting'])) {
        const v = await getVolume(db, r.volumeId);
        if (v) notifier.volume(ctx, 'delete.end', v);
        await finishVolumeDelete(r.volumeId);
      }
    },
    async volumeExtended(ctx, r) {
      const before = await getVolume(db, r.volumeId);
      const attached = before?.attachStatus === 'attached';
      const done = await updateVolume(db, r.volumeId, r.ok ? { status: attached ? 'in-use' : 'available' } : { status: 'error_extending', size: r.oldSizeGb }, ['extending']);
      const v = done && r.ok ? await getVolume(db, r.volumeId) : undefined;
      if (!v) return;
      notifier.volume(ctx, 'resize.end', v);
      // As Cinder's volume manager does: Compute hears of it, so each guest using the volume sees the new size.
      if (attached && deps.compute) await tellComputeVolumeExtended(db, deps.compute, v.id, log);
    },
    async volumeMigrated(ctx, r) {
      const m = r.migration;
      const moved = r.ok && await updateVolume(db, r.volumeId, {
        host: m.host, provider_location: r.location ?? null, format: r.format, volume_type_id: m.newTypeId, migration_status: 'success', status: m.previousStatus,
      }, [m.hold]);
      if (moved) {
        // The copy is the volume now: the data it left on the source backend goes.
        await volume.cast('deleteVolume', { volume: m.old, reason: 'cleanup' }, ctx, { server: volumeServer(m.old.host) });
        const v = await getVolume(db, r.volumeId);
        if (v && m.hold === 'retyping') notifier.volume(ctx, 'retype', v);
        return;
      }
      if (!r.ok) log.warn({ volumeId: r.volumeId, error: r.error }, 'volume migration failed');
      await updateVolume(db, r.volumeId, { status: m.previousStatus, migration_status: 'error' }, [m.hold]);
      // Whatever the destination made (or made too late) is not the volume.
      await volume.cast('deleteVolume', { volume: { id: r.volumeId, sizeGb: m.old.sizeGb, format: r.format, location: r.location ?? null }, reason: 'cleanup' }, ctx, { server: volumeServer(m.host) });
    },
    async snapshotProgress(_ctx, r) {
      await updateSnapshot(db, r.snapshotId, { progress: r.progress }, ['creating']);
    },
    async snapshotCreated(ctx, r) {
      const changes = r.ok ? { status: 'available', progress: '100%', provider_location: r.location ?? null } : { status: 'error' };
      if (await updateSnapshot(db, r.snapshotId, changes, ['creating'])) {
        const created = await getSnapshot(db, r.snapshotId);
        if (r.ok && created) notifier.snapshot(ctx, 'create.end', created);
        return;
      }
      const s = await getSnapshot(db, r.snapshotId);
      const v = s && await getVolume(db, s.volumeId);
      if (r.ok && s?.status === 'error' && v?.host) {
        await volume.cast('deleteSnapshot', { snapshot: { id: s.id, volumeId: s.volumeId, location: r.location ?? null }, reason: 'cleanup' }, ctx, { server: volumeServer(v.host) });
      }
    },
    async snapshotDeleted(ctx, r) {
      if (r.reason === 'cleanup') return;
      const s = await getSnapshot(db, r.snapshotId);
      if (!s || s.status !== 'deleting') return;
      if (!r.ok) {
        await updateSnapshot(db, s.id, { status: 'error_deleting' }, ['deleting']);
        return;
      }
      await deleteSnapshotRow(db, s.id);
      notifier.snapshot(ctx, 'delete.end', { ...s, status: 'deleted' });
      await finishVolumeDelete(s.volumeId);
    },
    async volumeUploaded(_ctx, r) {
      if (!r.ok) log.warn({ volumeId: r.volumeId, imageId: r.imageId, error: r.error }, 'upload to image failed');
      await updateVolume(db, r.volumeId, { status: r.previousStatus }, ['uploading']);
    },
    async backupCreated(ctx, r) {
      // A chunked backup's location was recorded with it; an answer without one keeps it (objects to clean up on delete).
      const made = await db.updateTable('backups').set({
        status: r.ok ? 'available' : 'error', ...(r.location ? { location: r.location } : {}), ...(r.objectCount !== undefined ? { object_count: r.objectCount } : {}),
        fail_reason: r.ok ? null : r.error ?? 'backup failed', updated_at: new Date().toISOString(),
      })
        .where('id', '=', r.backupId).where('status', '=', 'creating').executeTakeFirst();
      if (r.snapshotId) await updateSnapshot(db, r.snapshotId, { status: 'available' }, ['backing-up']);
      else await updateVolume(db, r.volumeId, { status: r.previousStatus }, ['backing-up']);
      const b = r.ok && Number(made.numUpdatedRows) > 0 ? await db.selectFrom('backups').selectAll().where('id', '=', r.backupId).executeTakeFirst() : undefined;
      if (b) notifier.backup(ctx, 'create.end', { id: b.id, volumeId: b.volume_id, projectId: b.project_id, size: b.size });
    },
    async backupRestored(_ctx, r) {
      await db.updateTable('backups').set({ status: 'available', updated_at: new Date().toISOString() }).where('id', '=', r.backupId).where('status', '=', 'restoring').execute();
      await updateVolume(db, r.volumeId, { status: r.ok ? 'available' : 'error_restoring' }, ['restoring-backup']);
    },
    async backupDeleted(ctx, r) {
      const b = await db.selectFrom('backups').selectAll().where('id', '=', r.backupId).where('status', '=', 'deleting').executeTakeFirst();
      if (!b) return;
      if (r.ok) {
        await db.deleteFrom('backups').where('id', '=', r.backupId).where('status', '=', 'deleting').execute();
        notifier.backup(ctx, 'delete.end', { id: b.id, volumeId: b.volume_id, projectId: b.project_id, size: b.size });
      } else {
        await db.updateTable('backups').set({ status: 'error_deleting', fail_reason: r.error ?? null }).where('id', '=', r.backupId).where('status', '=', 'deleting').execute();
      }
    },
    async reportState(_ctx, s) {
      await heartbeat(db, s);
    },
    async initHost(ctx: BusContext, { host }) {
      const server = { server: host };
      const volumes = (await db.selectFrom('volumes').select('host').where('host', 'like', `${host}#%`).groupBy('host').execute()).map((r) => r.host!);
      let nVolumes = 0;
      let nSnapshots = 0;
      for (const h of volumes) {
        for (const v of await volumesInStatuses(db, h, Object.keys(VOLUME_RECOVERY))) {
          nVolumes++;
          const action = VOLUME_RECOVERY[v.status];
          if (action === 'resume-delete') {
            if (await updateVolume(db, v.id, { status: 'deleting' }, [v.status])) await volume.cast('deleteVolume', { volume: ref(v), reason: 'delete' }, ctx, server);
          } else if (action === 'error_restoring') {
            await updateVolume(db, v.id, { status: 'error_restoring' }, [v.status]);
          } else if (action === 'settle') {
            // A backup or upload was only reading it, or a migration copying it: back to what its attachments say. A
            // volume an admin put in maintenance by hand (no migration under way) stays as it is.
            const migrating = v.migrationStatus === 'starting' || v.migrationStatus === 'migrating';
            if (v.status === 'maintenance' && !migrating) { nVolumes--; continue; }
            await updateVolume(db, v.id, { status: v.attachStatus === 'attached' ? 'in-use' : 'available', ...(migrating ? { migration_status: 'error' } : {}) }, [v.status]);
          } else if (action === 'error_extending') {
            // Resizing is idempotent: try again to the recorded size; a failure leaves error_extending.
            await volume.cast('extendVolume', { volume: ref(v), oldSizeGb: v.size }, ctx, server);
          } else if (await updateVolume(db, v.id, { status: 'error' }, [v.status])) {
            await volume.cast('deleteVolume', { volume: ref(v), reason: 'cleanup' }, ctx, server);
          }
        }
        // Creates failed over while this service was down may have left a file: removing one is idempotent.
        for (const v of await volumesInStatuses(db, h, ['error'])) {
          if (v.providerLocation === null) await volume.cast('deleteVolume', { volume: ref(v), reason: 'cleanup' }, ctx, server);
        }
        for (const s of await snapshotsOnHost(db, h, Object.keys(SNAPSHOT_RECOVERY))) {
          nSnapshots++;
          const snapshot = { id: s.id, volumeId: s.volumeId, location: s.providerLocation };
          if (SNAPSHOT_RECOVERY[s.status] === 'resume-delete') {
            if (await updateSnapshot(db, s.id, { status: 'deleting' }, [s.status])) await volume.cast('deleteSnapshot', { snapshot, reason: 'delete' }, ctx, server);
          } else if (SNAPSHOT_RECOVERY[s.status] === 'available') {
            await updateSnapshot(db, s.id, { status: 'available' }, [s.status]);
          }
          else if (await updateSnapshot(db, s.id, { status: 'error' }, [s.status])) await volume.cast('deleteSnapshot', { snapshot, reason: 'cleanup' }, ctx, server);
        }
      }
      const backups = await db.selectFrom('backups').selectAll().where('host', '=', host).where('status', 'in', Object.keys(BACKUP_RECOVERY)).execute();
      for (const b of backups) {
        nSnapshots++;
        const action = BACKUP_RECOVERY[b.status];
        if (action === 'resume-delete') {
          await volume.cast('deleteBackup', { backup: { id: b.id, location: b.location, container: b.container } }, ctx, server);
        } else {
          await db.updateTable('backups').set({ status: action, ...(action === 'error' ? { fail_reason: 'the volume service stopped during the backup' } : {}) })
            .where('id', '=', b.id).where('status', '=', b.status).execute();
        }
      }
      if (nVolumes + nSnapshots > 0) log.warn({ host, volumes: nVolumes, snapshots: nSnapshots }, 'repairing volumes and snapshots a stopped volume service left half-done');
      return { volumes: nVolumes, snapshots: nSnapshots };
    },
  };
}
