// The fake driver: keeps volumes and snapshots in memory with real bookkeeping (sizes, capacity, existence checks)
// and touches nothing on the host, for tests and scale runs. Contents are sparse pages in memory (fake-data.ts), so
// what a test writes into a volume is what its backups, snapshots and clones hold.
import { Readable } from 'node:stream';
import type { DriverCapacity, RawVolumeReader, VolumeDriver } from '../volume-driver.ts';
import { readSparse, writeSparse } from './fake-data.ts';
import type { SparseData } from './fake-data.ts';

const GiB = 1024 ** 3;

export interface FakeDriver extends VolumeDriver {
  volumes: Map<string, number>;
  snapshots: Map<string, number>;
  /** Each volume's written bytes (absent: all zeros). */
  data: Map<string, SparseData>;
}

export function createFakeDriver(opts: { capacityGb: number }): FakeDriver {
  const volumes = new Map<string, number>();
  const snapshots = new Map<string, number>();
  const data = new Map<string, SparseData>();
  const copyData = (from: string, to: string) => data.set(to, new Map([...(data.get(from) ?? new Map<number, Buffer>())].map(([k, b]) => [k, Buffer.from(b)])));
  const used = () => [...volumes.values(), ...snapshots.values()].reduce((a, b) => a + b, 0);
  const need = (id: string) => {
    if (!volumes.has(id)) throw new Error(`fake volume ${id} does not exist`);
    return volumes.get(id)!;
  };
  /** A raw view of sparse pages (absent pages read as zeros). */
  const rawView = (size: number, pages: SparseData | undefined): RawVolumeReader => ({
    size,
    async read(buffer, position) {
      const n = Math.max(0, Math.min(buffer.length, size - position));
      readSparse(pages, buffer.subarray(0, n), position);
      return n;
    },
    async close() {},
  });
  return {
    name: 'fake', volumes, snapshots, data,
    async start() {},
    async capacity(): Promise<DriverCapacity> {
      return { totalGb: opts.capacityGb, freeGb: Math.max(0, opts.capacityGb - used()), provisionedGb: used(), thin: false, maxOverSubscriptionRatio: 1 };
    },
    async createVolume(v) { volumes.set(v.id, v.sizeGb); return `fake://volume/${v.id}`; },
    async createVolumeFromSnapshot(v, s) {
      if (!snapshots.has(s.id)) throw new Error(`fake snapshot ${s.id} does not exist`);
      volumes.set(v.id, Math.max(v.sizeGb, snapshots.get(s.id)!));
      copyData(`snapshot:${s.id}`, v.id);
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
    async cloneVolume(v, src) { volumes.set(v.id, Math.max(v.sizeGb, need(src.id))); copyData(src.id, v.id); return `fake://volume/${v.id}`; },
    async deleteVolume(v) { volumes.delete(v.id); data.delete(v.id); },
    async extendVolume(v) { if (need(v.id) < v.sizeGb) volumes.set(v.id, v.sizeGb); },
    async createSnapshot(s, v) { snapshots.set(s.id, need(v.id)); copyData(v.id, `snapshot:${s.id}`); return `fake://snapshot/${s.id}`; },
    async deleteSnapshot(s) { snapshots.delete(s.id); data.delete(`snapshot:${s.id}`); },
    openRaw: async (v) => rawView(need(v.id) * GiB, data.get(v.id)),
    async openSnapshotRaw(s) {
      if (!snapshots.has(s.id)) throw new Error(`fake snapshot ${s.id} does not exist`);
      return rawView(snapshots.get(s.id)! * GiB, data.get(`snapshot:${s.id}`));
    },
    async writeRaw(v, sizeBytes, fill) {
      // Filled aside and swapped in at the end, as the file driver renames its partial file.
      const pages: SparseData = new Map();
      await fill({ async write(chunk, position) {
        if (position + chunk.length > sizeBytes) throw new Error(`write beyond the ${sizeBytes} bytes of fake volume ${v.id}`);
        writeSparse(pages, chunk, position);
      } });
      volumes.set(v.id, Math.max(v.sizeGb, volumes.get(v.id) ?? 0, Math.ceil(sizeBytes / GiB)));
      data.set(v.id, pages);
      return `fake://volume/${v.id}`;
    },
    async initializeConnection(v, _connector, readOnly) {
      need(v.id);
      return { driver_volume_type: 'fake', data: { volume_id: v.id, access_mode: readOnly ? 'ro' : 'rw' } };
    },
  };
}
