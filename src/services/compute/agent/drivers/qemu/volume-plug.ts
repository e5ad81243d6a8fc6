// Volumes hot-plugged into a running guest through QMP (blockdev-add + device_add virtio-blk-pci; device_del, the
// guest's DEVICE_DELETED, blockdev-del; block_resize when Block Storage grew one) and recorded in guest.json, so a
// guest started again gets them back.
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import type { GuestHost } from './guest-host.ts';
import { readGuestRecord, writeGuestRecord } from './guest-dir.ts';
import type { PluggedVolume } from './guest-dir.ts';
import { guestPid } from './guest-process.ts';
import { blockdev, volumeDevice, volumeDeviceId, volumeNodeName } from './qemu-command.ts';
import { QmpError } from './qmp-client.ts';

const VOLUME_FORMATS = new Set(['raw', 'qcow2']);

/** The file and format of a volume from Block Storage's connection info (its file driver's `{driver_volume_type: 'file', data: {path, format}}`). */
export function fileVolume(volumeId: string, device: string, connectionInfo: Record<string, unknown>): PluggedVolume {
  if (connectionInfo.driver_volume_type !== 'file') {
    throw new BadRequest(`Volume ${volumeId} has driver_volume_type '${String(connectionInfo.driver_volume_type)}'; the qemu driver attaches 'file' volumes.`);
  }
  const data = (connectionInfo.data ?? {}) as Record<string, unknown>;
  const path = data.path;
  const format = data.format ?? 'raw';
  if (typeof path !== 'string' || !isAbsolute(path)) throw new BadRequest(`Volume ${volumeId}'s connection info has no absolute file path.`);
  if (typeof format !== 'string' || !VOLUME_FORMATS.has(format)) throw new BadRequest(`Volume ${volumeId} has format '${String(format)}'; the qemu driver attaches raw and qcow2 volumes.`);
  volumeNodeName(volumeId);
  return { volumeId, device, path, format };
}

export interface VolumePlug {
  attach(opts: { uuid: string; volumeId: string; device: string; connectionInfo: Record<string, unknown> }): Promise<void>;
  detach(opts: { uuid: string; volumeId: string }): Promise<void>;
  /**
   * Grows a plugged volume to `sizeBytes` in the running guest (QMP block_resize of its format node, which also grows
   * the image file QEMU holds); a guest not running reads the file's size when it starts, so nothing is needed then.
   */
  resize(opts: { uuid: string; volumeId: string; sizeBytes: number }): Promise<void>;
}

export function createVolumePlug(host: GuestHost, opts: { detachTimeoutMs: number }): VolumePlug {
  return {
    attach: (a) => host.serialized(a.uuid, async () => {
      const paths = host.paths(a.uuid);
      const record = await readGuestRecord(paths);
      if (!record) throw new NotFound(`Instance ${a.uuid} could not be found on this hypervisor.`);
      if (record.volumes.some((v) => v.volumeId === a.volumeId)) return;
      const volume = fileVolume(a.volumeId, a.device, a.connectionInfo);
      if (await guestPid(paths, a.uuid)) {
        await host.withQmp(a.uuid, async (q) => {
          await q.execute('blockdev-add', blockdev(volumeNodeName(volume.volumeId), volume.path, volume.format));
          try {
            await q.execute('device_add', volumeDevice(volume));
          } catch (err) {
            await q.execute('blockdev-del', { 'node-name': volumeNodeName(volume.volumeId) }).catch(() => undefined);
            throw err;
          }
        });
      } else if (await stat(paths.memoryState).then(() => true, () => false)) {
        // Its saved RAM describes the hardware it had: a new disk would make the state unloadable.
        throw new Conflict(`Cannot attach a volume to instance ${a.uuid} while it is suspended.`);
      }
      record.volumes.push(volume);
      await writeGuestRecord(paths, record);
    }),

    resize: (a) => host.serialized(a.uuid, async () => {
      const paths = host.paths(a.uuid);
      const record = await readGuestRecord(paths);
      if (!record?.volumes.some((v) => v.volumeId === a.volumeId)) throw new NotFound(`Volume ${a.volumeId} is not attached to instance ${a.uuid} on this hypervisor.`);
      if (!await guestPid(paths, a.uuid)) return;
      await host.withQmp(a.uuid, (q) => q.execute('block_resize', { 'node-name': volumeNodeName(a.volumeId), size: a.sizeBytes }));
    }),

    detach: (a) => host.serialized(a.uuid, async () => {
      const paths = host.paths(a.uuid);
      const record = await readGuestRecord(paths);
      const volume = record?.volumes.find((v) => v.volumeId === a.volumeId);
      if (!record || !volume) return;
      if (await guestPid(paths, a.uuid)) {
        const id = volumeDeviceId(a.volumeId);
        await host.withQmp(a.uuid, async (q) => {
          const deleted = q.waitEvent('DEVICE_DELETED', { match: (e) => e.data?.device === id, timeoutMs: opts.detachTimeoutMs });
          deleted.catch(() => undefined);
          let present = true;
          try {
            await q.execute('device_del', { id });
          } catch (err) {
            // Not there (any more): nothing to wait for. Already being unplugged (a retry): wait as before.
            if (err instanceof QmpError && err.errorClass === 'DeviceNotFound') present = false;
            else if (!/in the process of unplug/.test((err as Error).message)) throw err;
          }
          if (present) {
            await deleted.catch(() => {
              throw new Conflict(`Instance ${a.uuid} did not release volume ${a.volumeId} within ${opts.detachTimeoutMs / 1000} s (does its OS handle PCI hot-unplug?).`);
            });
          }
          await q.execute('blockdev-del', { 'node-name': volumeNodeName(a.volumeId) }).catch((err: unknown) => {
            if (!(err instanceof QmpError && /not found|Cannot find/i.test(err.message))) throw err;
          });
        });
      }
      record.volumes = record.volumes.filter((v) => v.volumeId !== a.volumeId);
      await writeGuestRecord(paths, record);
    }),
  };
}
