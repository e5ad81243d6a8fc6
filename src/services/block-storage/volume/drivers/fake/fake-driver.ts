// The fake driver: keeps volumes and snapshots in memory with real bookkeeping (sizes, capacity, existence checks)
// and touches nothing on the host, for tests and scale runs.
import { Readable } from 'node:stream';
import type { DriverCapacity, VolumeDriver } from '../volume-driver.ts';

export function createFakeDriver(opts: { capacityGb: number }): VolumeDriver & { volumes: Map<string, number>; snapshots: Map<string, number>; backupSizes: Map<string, number> } {
  const volumes = new Map<string, number>();
  const snapshots = new Map<string, number>();
  const backupSizes = new Map<string, number>();
  const needBackup = (id: string) => {
    if (!backupSizes.has(id)) throw new Error(`fake backup ${id} does not exist`);
    return backupSizes.get(id)!;
  };
  const used = () => [...volumes.values(), ...snapshots.values()].reduce((a, b) => a + b, 0);
  const need = (id: string) => {
    if (!volumes.has(id)) throw new Error(`fake volume ${id} does not exist`);
    return volumes.get(id)!;
  };
  return {
    name: 'fake', volumes, snapshots, backupSizes,
    async start() {},
    async capacity(): Promise<DriverCapacity> {
      return { totalGb: opts.capacityGb, freeGb: Math.max(0, opts.capacityGb - used()), provisionedGb: used(), thin: false, maxOverSubscriptionRatio: 1 };
    },
    async createVolume(v) { volumes.set(v.id, v.sizeGb); return `fake://volume/${v.id}`; },
    async createVolumeFromSnapshot(v, s) {
      if (!snapshots.has(s.id)) throw new Error(`fake snapshot ${s.id} does not exist`);
      volumes.set(v.id, Math.max(v.sizeGb, snapshots.get(s.id)!));
      return `fake://volume/${v.id}`;
    },
    async createVolumeFromImage(v, image) {
      let bytes = 0;
      for await (const chunk of image.data) bytes += (chunk as Buffer).length;
      volumes.set(v.id, Math.max(v.sizeGb, Math.ceil(bytes / 1024 ** 3)));
      return `fake://volume/${v.id}`;
    },
    async exportImage(v) {
      need(v.id);
      const data = Buffer.alloc(1024);
      return { data: Readable.from([data]), size: data.length, done: async () => {} };
    },
    async cloneVolume(v, src) { volumes.set(v.id, Math.max(v.sizeGb, need(src.id))); return `fake://volume/${v.id}`; },
    async deleteVolume(v) { volumes.delete(v.id); },
    async extendVolume(v) { if (need(v.id) < v.sizeGb) volumes.set(v.id, v.sizeGb); },
    async createSnapshot(s, v) { snapshots.set(s.id, need(v.id)); return `fake://snapshot/${s.id}`; },
    async deleteSnapshot(s) { snapshots.delete(s.id); },
    backups: {
      async create(b, v) { backupSizes.set(b.id, need(v.id)); return `fake://backup/${b.id}`; },
      async restore(b, v) { volumes.set(v.id, Math.max(need(v.id), needBackup(b.id))); },
      async createVolume(v, b) { volumes.set(v.id, Math.max(v.sizeGb, needBackup(b.id))); return `fake://volume/${v.id}`; },
      async delete(b) { backupSizes.delete(b.id); },
    },
    async initializeConnection(v, _connector, readOnly) {
      need(v.id);
      return { driver_volume_type: 'fake', data: { volume_id: v.id, access_mode: readOnly ? 'ro' : 'rw' } };
    },
  };
}
