// The scheduler's handlers (cinder-scheduler): keeps the capabilities each backend reports, places new volumes and
// hands them to the chosen backend's volume service. A volume no backend can take goes to `error`.
import type { Bus, BusContext, RpcHandlers } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import type { BackendCapabilities } from '../domain/models.ts';
import type { BlockStorageDb } from '../db/tables.ts';
import { getVolume, updateVolume } from '../db/volumes-repo.ts';
import { getSnapshot } from '../db/snapshots-repo.ts';
import { getType } from '../db/types-repo.ts';
import type { SchedulerRpcMethods } from '../rpc/scheduler-rpc.ts';
import { volumeRpc, volumeServer } from '../rpc/volume-rpc.ts';
import type { VolumeSource } from '../rpc/volume-rpc.ts';
import { consume, selectBackend } from './select-backend.ts';

export interface SchedulerDeps {
  db: BlockStorageDb;
  bus: Bus;
  /** Reports older than this are from a backend presumed down. */
  staleAfterMs: number;
  log: Logger;
}

export function schedulerHandlers(deps: SchedulerDeps): RpcHandlers<SchedulerRpcMethods> & { backends: Map<string, BackendCapabilities> } {
  const backends = new Map<string, BackendCapabilities>();
  const volume = volumeRpc.client(deps.bus);
  const fresh = () => [...backends.values()].filter((c) => Date.now() - Date.parse(c.timestamp) < deps.staleAfterMs);

  async function fail(ctx: BusContext, volumeId: string, why: string): Promise<void> {
    deps.log.warn({ volumeId, requestId: ctx.requestId, why }, 'No valid backend was found');
    await updateVolume(deps.db, volumeId, { status: 'error' }, ['creating']);
  }

  return {
    backends,
    updateCapabilities(_ctx, caps) {
      backends.set(caps.host, caps);
    },
    async createVolume(ctx, { volumeId, imageEndpoint, backupSwiftUrl }) {
      const v = await getVolume(deps.db, volumeId);
      if (!v || v.status !== 'creating' || v.host) return;
      const type = await getType(deps.db, v.volumeTypeId);
      let source: VolumeSource = { kind: 'blank' };
      let requiredHost: string | undefined;
      if (v.snapshotId) {
        const snap = await getSnapshot(deps.db, v.snapshotId);
        const parent = snap && await getVolume(deps.db, snap.volumeId);
        if (!snap || !parent?.host) return fail(ctx, volumeId, `snapshot ${v.snapshotId} is gone`);
        source = { kind: 'snapshot', snapshot: { id: snap.id, volumeId: snap.volumeId, location: snap.providerLocation } };
        requiredHost = volumeServer(parent.host);
      } else if (v.sourceVolid) {
        const src = await getVolume(deps.db, v.sourceVolid);
        if (!src?.host) return fail(ctx, volumeId, `source volume ${v.sourceVolid} is gone`);
        source = { kind: 'volume', volume: { id: src.id, sizeGb: src.size, format: src.format, location: src.providerLocation } };
        requiredHost = volumeServer(src.host);
      }
      const image = v.imageMetadata;
      if (image) {
        if (!imageEndpoint || !ctx.authToken) return fail(ctx, volumeId, 'an image source needs the image endpoint and the user\'s token');
        source = { kind: 'image', image: { id: image.image_id, diskFormat: image.disk_format, endpoint: imageEndpoint } };
      }
      if (v.backupId) {
        const b = await deps.db.selectFrom('backups').selectAll().where('id', '=', v.backupId).executeTakeFirst();
        if (!b || b.status !== 'restoring') return fail(ctx, volumeId, `backup ${v.backupId} is gone`);
        source = { kind: 'backup', backup: { id: b.id, location: b.location, container: b.container, swiftUrl: backupSwiftUrl } };
        requiredHost = b.host;
      }
      const chosen = selectBackend(fresh(), { sizeGb: v.size, availabilityZone: v.availabilityZone, extraSpecs: type?.extraSpecs ?? {}, requiredHost });
      if (!chosen) return fail(ctx, volumeId, `no backend passed the filters for ${v.size} GiB in zone ${v.availabilityZone}`);
      backends.set(chosen.host, consume(chosen, v.size));
      const host = `${chosen.host}#${chosen.pool}`;
      if (!await updateVolume(deps.db, volumeId, { host }, ['creating'])) return;
      await volume.cast('createVolume', { volume: { id: v.id, sizeGb: v.size, format: v.format, location: null }, source }, ctx, { server: chosen.host });
    },
    async migrateVolume(ctx, { volumeId, newTypeId, newFormat, previousStatus, hold, host: requiredHost }) {
      // Cinder's generic migration: another backend for the new type, which copies the volume through the source's
      // connection info (the volume keeps its id); nothing found or nothing reachable: back as it was, migration error.
      const v = await getVolume(deps.db, volumeId);
      if (!v?.host || v.status !== hold) return;
      const giveUp = async (why: string) => {
        deps.log.warn({ volumeId, requestId: ctx.requestId, why }, 'volume migration failed');
        await updateVolume(deps.db, volumeId, { status: previousStatus, migration_status: 'error' }, [hold]);
      };
      const type = await getType(deps.db, newTypeId);
      const here = volumeServer(v.host);
      const chosen = selectBackend(fresh().filter((c) => c.host !== here), { sizeGb: v.size, availabilityZone: v.availabilityZone, extraSpecs: type?.extraSpecs ?? {},
        requiredHost: requiredHost === undefined ? undefined : volumeServer(requiredHost) });
      if (!chosen) return giveUp(`no other backend${requiredHost ? ` (${requiredHost})` : ''} passed the filters for type ${newTypeId}`);
      const old = { id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation, host: v.host };
      let source;
      try {
        source = await volume.call('initializeConnection', { volume: old, connector: { host: chosen.host, initiator: 'migration' }, readOnly: true }, ctx, { server: here, timeoutMs: 30_000 });
      } catch (err) {
        return giveUp(`the source backend gave no connection: ${(err as Error).message}`);
      }
      backends.set(chosen.host, consume(chosen, v.size));
      const host = `${chosen.host}#${chosen.pool}`;
      if (!await updateVolume(deps.db, volumeId, { migration_status: 'migrating' }, [hold])) return;
      await volume.cast('importVolume', {
        volume: { id: v.id, sizeGb: v.size, format: newFormat, location: null }, source, migration: { host, newTypeId, previousStatus, hold, old },
      }, ctx, { server: chosen.host });
    },
  };
}
