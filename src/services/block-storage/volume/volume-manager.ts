// The volume service's handlers (cinder-volume's manager): run the driver and report each outcome to the conductor,
// which records it. Casts are answered by a cast back, never by throwing into the void.
import type { BusContext, RpcClient, RpcHandlers } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import { Readable } from 'node:stream';
import { createImageClient } from '#services/image/contract/client.ts';
import type { VolumeDriver, DriverVolume } from './drivers/volume-driver.ts';
import type { VolumeRef, VolumeRpcMethods } from '../rpc/volume-rpc.ts';
import type { ConductorRpcMethods } from '../rpc/conductor-rpc.ts';
import type { BackupService } from './backup/backup-service.ts';

const asDriverVolume = (v: VolumeRef): DriverVolume => ({ id: v.id, sizeGb: v.sizeGb, format: v.format, location: v.location });
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Passes on at most one progress percentage a second (the first at once), and never 100: the outcome reports that. */
export function progressReporter(report: (percent: number) => void, everyMs = 1000): (percent: number) => void {
  let lastAt = -Infinity;
  let last = -1;
  return (percent) => {
    const now = Date.now();
    if (percent >= 100 || percent <= last || now - lastAt < everyMs) return;
    lastAt = now;
    last = percent;
    report(percent);
  };
}

export interface VolumeManagerDeps {
  driver: VolumeDriver;
  backups: BackupService;
  conductor: RpcClient<ConductorRpcMethods>;
  /** Called after anything that changes capacity, so the scheduler hears of it before the next periodic report. */
  capacityChanged(ctx: BusContext): void;
  log: Logger;
}

export function volumeManagerHandlers(deps: VolumeManagerDeps): RpcHandlers<VolumeRpcMethods> {
  const { driver, conductor, log } = deps;
  /** Runs a driver operation, then reports; a lost report is repaired by the conductor's recovery on restart. */
  async function run<T>(ctx: BusContext, what: string, op: () => Promise<T>, report: (r: { ok: boolean; value?: T; error?: string }) => Promise<void>) {
    let outcome: { ok: boolean; value?: T; error?: string };
    try {
      outcome = { ok: true, value: await op() };
    } catch (err) {
      log.error({ err: message(err), requestId: ctx.requestId }, `${what} failed`);
      outcome = { ok: false, error: message(err) };
    }
    await report(outcome).catch((err) => log.error({ err: message(err), requestId: ctx.requestId }, `cannot report ${what} to the conductor`));
    deps.capacityChanged(ctx);
  }

  /** Streams the image from the Image service with the user's token into the driver. */
  async function fromImage(ctx: BusContext, v: DriverVolume, image: { id: string; diskFormat: string; endpoint: string }): Promise<string> {
    if (!driver.createVolumeFromImage) throw new Error(`the ${driver.name} driver cannot create volumes from images`);
    if (!ctx.authToken) throw new Error('no user token came with the request to read the image');
    const data = await createImageClient({ endpoint: image.endpoint }).download(image.id, { token: ctx.authToken, globalRequestId: ctx.globalRequestId });
    try {
      return await driver.createVolumeFromImage(v, { id: image.id, data, diskFormat: image.diskFormat });
    } finally {
      data.destroy();
    }
  }

  const { backups } = deps;

  return {
    async createVolume(ctx, { volume, source }) {
      await run(ctx, `create of volume ${volume.id}`, () => {
        const v = asDriverVolume(volume);
        if (source.kind === 'snapshot') return driver.createVolumeFromSnapshot(v, source.snapshot);
        if (source.kind === 'volume') return driver.cloneVolume(v, asDriverVolume(source.volume));
        if (source.kind === 'backup') return backups.createVolume(ctx, v, source.backup);
        if (source.kind === 'image') return fromImage(ctx, v, source.image);
        return driver.createVolume(v);
      }, (r) => conductor.cast('volumeCreated', { volumeId: volume.id, ok: r.ok, location: r.value, error: r.error }, ctx));
    },
    async deleteVolume(ctx, { volume, reason }) {
      await run(ctx, `delete of volume ${volume.id}`, () => driver.deleteVolume(asDriverVolume(volume)),
        (r) => conductor.cast('volumeDeleted', { volumeId: volume.id, reason, ok: r.ok, error: r.error }, ctx));
    },
    async extendVolume(ctx, { volume, oldSizeGb }) {
      await run(ctx, `extend of volume ${volume.id}`, () => driver.extendVolume(asDriverVolume(volume)),
        (r) => conductor.cast('volumeExtended', { volumeId: volume.id, oldSizeGb, ok: r.ok, error: r.error }, ctx));
    },
    async createSnapshot(ctx, { snapshot, volume }) {
      const progress = progressReporter((percent) => {
        conductor.cast('snapshotProgress', { snapshotId: snapshot.id, progress: `${percent}%` }, ctx)
          .catch((err) => log.warn({ err: message(err), snapshotId: snapshot.id }, 'cannot report snapshot progress'));
      });
      await run(ctx, `create of snapshot ${snapshot.id}`, () => driver.createSnapshot(snapshot, asDriverVolume(volume), progress),
        (r) => conductor.cast('snapshotCreated', { snapshotId: snapshot.id, ok: r.ok, location: r.value, error: r.error }, ctx));
    },
    async deleteSnapshot(ctx, { snapshot, reason }) {
      await run(ctx, `delete of snapshot ${snapshot.id}`, () => driver.deleteSnapshot(snapshot),
        (r) => conductor.cast('snapshotDeleted', { snapshotId: snapshot.id, reason, ok: r.ok, error: r.error }, ctx));
    },
    async uploadToImage(ctx, { volume, image, previousStatus }) {
      await run(ctx, `upload of volume ${volume.id} to image ${image.id}`, async () => {
        if (!driver.exportImage) throw new Error(`the ${driver.name} driver cannot upload volumes to images`);
        if (!ctx.authToken) throw new Error('no user token came with the request to write the image');
        const exported = await driver.exportImage(asDriverVolume(volume), image.diskFormat);
        try {
          const res = await fetch(`${image.endpoint.replace(/\/+$/, '')}/v2/images/${encodeURIComponent(image.id)}/file`, {
            method: 'PUT', body: Readable.toWeb(exported.data) as ReadableStream, duplex: 'half',
            headers: { 'x-auth-token': ctx.authToken, 'content-type': 'application/octet-stream', 'content-length': String(exported.size) },
          } as RequestInit);
          if (res.status !== 204) throw new Error(`the Image service answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
        } catch (err) {
          // As Cinder does: an image whose upload failed is deleted rather than left queued forever.
          await fetch(`${image.endpoint.replace(/\/+$/, '')}/v2/images/${encodeURIComponent(image.id)}`, { method: 'DELETE', headers: { 'x-auth-token': ctx.authToken } })
            .catch(() => undefined);
          throw err;
        } finally {
          exported.data.destroy();
          await exported.done();
        }
      }, (r) => conductor.cast('volumeUploaded', { volumeId: volume.id, imageId: image.id, previousStatus, ok: r.ok, error: r.error }, ctx));
    },
    async createBackup(ctx, { backup, volume, previousStatus }) {
      await run(ctx, `backup ${backup.id} of volume ${volume.id}`, () => backups.create(ctx, backup, asDriverVolume(volume)),
        (r) => conductor.cast('backupCreated', {
          backupId: backup.id, volumeId: volume.id, previousStatus, snapshotId: backup.snapshot?.id, ok: r.ok, location: r.value?.location, objectCount: r.value?.objectCount, error: r.error,
        }, ctx));
    },
    async restoreBackup(ctx, { backup, volume }) {
      await run(ctx, `restore of backup ${backup.id} to volume ${volume.id}`, () => backups.restore(ctx, backup, asDriverVolume(volume)),
        (r) => conductor.cast('backupRestored', { backupId: backup.id, volumeId: volume.id, ok: r.ok, error: r.error }, ctx));
    },
    async importVolume(ctx, { volume, source, migration }) {
      await run(ctx, `migration of volume ${volume.id} to ${migration.host}`, () => {
        if (!driver.importVolume) throw new Error(`the ${driver.name} driver cannot take volumes from other backends`);
        return driver.importVolume(asDriverVolume(volume), source);
      }, (r) => conductor.cast('volumeMigrated', { volumeId: volume.id, format: volume.format, migration, ok: r.ok, location: r.value, error: r.error }, ctx));
    },
    async deleteBackup(ctx, { backup }) {
      await run(ctx, `delete of backup ${backup.id}`, () => backups.delete(ctx, backup),
        (r) => conductor.cast('backupDeleted', { backupId: backup.id, ok: r.ok, error: r.error }, ctx));
    },
    initializeConnection(_ctx, { volume, connector, readOnly }) {
      return driver.initializeConnection(asDriverVolume(volume), connector, readOnly);
    },
    async terminateConnection(_ctx, { volume, connector }) {
      await driver.terminateConnection?.(asDriverVolume(volume), connector);
    },
  };
}
