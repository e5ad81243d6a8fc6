// The file driver: one qcow2 (or raw) file per volume under a directory, made and changed with qemu-img.
// Snapshots and clones are full, independent copies (`qemu-img convert`, which copies only allocated data): a
// snapshot never backs a volume and a volume never backs a snapshot, so deleting either can never corrupt the other,
// and nothing has to be rebased or committed while Compute holds a volume open. Every new file is written under a
// `.partial-` name and renamed into place only when complete, so a crash leaves no half-made volume behind.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Logger } from '#lib/log.ts';
import type { DriverCapacity, DriverSnapshot, DriverVolume, RawVolumeReader, VolumeDriver } from '../volume-driver.ts';
import { createQemuImg } from './qemu-img.ts';
import type { QemuImg } from './qemu-img.ts';
import { checkImageFormat } from './image-format.ts';

const GiB = 1024 ** 3;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PARTIAL = '.partial-';
/** Snapshots are always qcow2: sparse, and a known format to read back. */
const SNAPSHOT_FORMAT = 'qcow2';

export interface FileDriverOptions {
  dir: string;
  /** Where backups go: a directory apart from the volumes (another disk or mount, ideally). */
  backupsDir: string;
  maxOverSubscriptionRatio: number;
  log: Logger;
  qemuImg?: QemuImg;
}

/** Ids come from our own database, but a path is never built from anything not shaped like a UUID. */
function fileName(kind: 'volume' | 'snapshot' | 'backup', id: string): string {
  if (!UUID.test(id)) throw new Error(`refusing ${kind} id ${JSON.stringify(id)}: not a UUID`);
  return `${kind}-${id}`;
}

function format(f: string): string {
  if (f !== 'qcow2' && f !== 'raw') throw new Error(`unsupported volume format ${f}`);
  return f;
}

/** The virtual size of a qcow2 file from its header (bytes 24..31), or of a raw file from its length. */
async function virtualSize(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await fh.read(head, 0, 32, 0);
    if (bytesRead >= 32 && head.readUInt32BE(0) === 0x514649fb) return Number(head.readBigUInt64BE(24));
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

export function createFileDriver(opts: FileDriverOptions): VolumeDriver {
  const qemu = opts.qemuImg ?? createQemuImg({ log: opts.log });
  const pathOf = (kind: 'volume' | 'snapshot', id: string) => join(opts.dir, fileName(kind, id));
  const backupPath = (id: string) => join(opts.backupsDir, fileName('backup', id));

  /** Runs `make` on a partial path beside `final` and renames it to `final`; removes the partial file on failure. */
  async function build(final: string, make: (partial: string) => Promise<void>): Promise<string> {
    const partial = join(dirname(final), `${PARTIAL}${basename(final)}`);
    try {
      await make(partial);
      await rename(partial, final);
      return final;
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  }

  /** A read-only raw view of a file: a raw one read in place, a qcow2 one through a sparse raw copy (-U: it may be open in a running VM). */
  async function rawView(source: string, fmt: string, name: string): Promise<RawVolumeReader> {
    const copy = fmt === 'raw' ? undefined : join(opts.dir, `${PARTIAL}raw-${name}-${process.hrtime.bigint()}`);
    try {
      if (copy) await qemu.run(['convert', '-q', '-U', '-f', fmt, '-O', 'raw', source, copy]);
      const fh = await open(copy ?? source, 'r');
      const size = (await fh.stat()).size;
      return {
        size,
        read: async (buffer, position) => (await fh.read(buffer, 0, buffer.length, position)).bytesRead,
        close: async () => { await fh.close(); if (copy) await rm(copy, { force: true }); },
      };
    } catch (err) {
      if (copy) await rm(copy, { force: true });
      throw err;
    }
  }

  async function growTo(path: string, fmt: string, sizeGb: number): Promise<void> {
    if (await virtualSize(path) < sizeGb * GiB) await qemu.run(['resize', '-f', fmt, path, `${sizeGb}G`]);
  }

  return {
    name: 'file',
    async start() {
      for (const dir of [opts.dir, opts.backupsDir]) {
        await mkdir(dir, { recursive: true });
        for (const name of await readdir(dir)) if (name.startsWith(PARTIAL)) await rm(join(dir, name), { force: true });
      }
    },
    async capacity(): Promise<DriverCapacity> {
      const fs = await statfs(opts.dir);
      let provisioned = 0;
      for (const name of await readdir(opts.dir)) {
        if (name.startsWith('volume-')) provisioned += await virtualSize(join(opts.dir, name)).catch(() => 0);
      }
      return {
        totalGb: Math.floor((fs.blocks * fs.bsize) / GiB), freeGb: Math.floor((fs.bavail * fs.bsize) / GiB),
        provisionedGb: Math.ceil(provisioned / GiB), thin: true, maxOverSubscriptionRatio: opts.maxOverSubscriptionRatio,
      };
    },
    async createVolume(v) {
      const fmt = format(v.format);
      return build(pathOf('volume', v.id), (p) => qemu.run(['create', '-q', '-f', fmt, p, `${v.sizeGb}G`]).then(() => undefined));
    },
    async createVolumeFromSnapshot(v, s: DriverSnapshot) {
      const fmt = format(v.format);
      const source = pathOf('snapshot', s.id);
      return build(pathOf('volume', v.id), async (p) => {
        await qemu.run(['convert', '-q', '-f', SNAPSHOT_FORMAT, '-O', fmt, source, p]);
        await growTo(p, fmt, v.sizeGb);
      });
    },
    async createVolumeFromImage(v, image) {
      const fmt = format(v.format);
      const download = join(opts.dir, `${PARTIAL}image-${fileName('volume', v.id)}`);
      try {
        await pipeline(image.data, createWriteStream(download, { mode: 0o600 }));
        await checkImageFormat(download, image.diskFormat);
        return await build(pathOf('volume', v.id), async (p) => {
          await qemu.run(['convert', '-q', '-f', image.diskFormat, '-O', fmt, download, p]);
          await growTo(p, fmt, v.sizeGb);
        });
      } finally {
        await rm(download, { force: true });
      }
    },
    async exportImage(v, diskFormat) {
      const out = join(opts.dir, `${PARTIAL}upload-${fileName('volume', v.id)}`);
      try {
        await qemu.run(['convert', '-q', '-U', '-f', format(v.format), '-O', format(diskFormat), pathOf('volume', v.id), out]);
        return { data: createReadStream(out), size: (await stat(out)).size, done: () => rm(out, { force: true }) };
      } catch (err) {
        await rm(out, { force: true });
        throw err;
      }
    },
    async importVolume(v, source) {
      const fmt = format(v.format);
      const data = source.data as { path?: unknown; format?: unknown };
      // Only a file this host can read: another host's volume is out of reach of a local path.
      if (source.driver_volume_type !== 'file' || typeof data.path !== 'string' || !isAbsolute(data.path)) {
        throw new Error(`the file driver can only copy from a 'file' connection with an absolute path, not ${source.driver_volume_type}`);
      }
      if (data.path === pathOf('volume', v.id)) throw new Error('the source is this backend\'s own volume');
      const srcFormat = format(String(data.format ?? 'raw'));
      await stat(data.path).catch(() => { throw new Error(`the source volume ${data.path as string} is not reachable from this host`); });
      return build(pathOf('volume', v.id), async (p) => {
        await qemu.run(['convert', '-q', '-U', '-f', srcFormat, '-O', fmt, data.path as string, p]);
        await growTo(p, fmt, v.sizeGb);
      });
    },
    async cloneVolume(v, src: DriverVolume) {
      const fmt = format(v.format);
      const source = pathOf('volume', src.id);
      return build(pathOf('volume', v.id), async (p) => {
        await qemu.run(['convert', '-q', '-U', '-f', format(src.format), '-O', fmt, source, p]);
        await growTo(p, fmt, v.sizeGb);
      });
    },
    async deleteVolume(v) {
      await rm(pathOf('volume', v.id), { force: true });
    },
    async extendVolume(v) {
      const path = pathOf('volume', v.id);
      await stat(path);
      try {
        await growTo(path, format(v.format), v.sizeGb);
      } catch (err) {
        // An attached volume open in a running QEMU is locked against qemu-img: the hypervisor holding it grows it
        // (Compute's block_resize after the volume-extended event), as the one writer an image may have.
        if (!/Failed to get .*lock|another process using the image/i.test((err as Error).message)) throw err;
        opts.log.info({ volumeId: v.id, sizeGb: v.sizeGb }, 'volume is open in a hypervisor: its block_resize grows it');
      }
    },
    async createSnapshot(s, v, progress) {
      const source = pathOf('volume', v.id);
      // -U: the volume may be open in a running VM (a forced snapshot); reading it without the lock is crash-consistent.
      const args = ['-U', '-f', format(v.format), '-O', SNAPSHOT_FORMAT, source];
      return build(pathOf('snapshot', s.id), (p) => (progress ? qemu.convertWithProgress([...args, p], progress) : qemu.run(['convert', '-q', ...args, p]).then(() => undefined)));
    },
    async deleteSnapshot(s) {
      await rm(pathOf('snapshot', s.id), { force: true });
    },
    openRaw: (v) => rawView(pathOf('volume', v.id), format(v.format), fileName('volume', v.id)),
    openSnapshotRaw: (s) => rawView(pathOf('snapshot', s.id), SNAPSHOT_FORMAT, fileName('snapshot', s.id)),
    async writeRaw(v, sizeBytes, fill) {
      const fmt = format(v.format);
      const fillInto = async (path: string) => {
        const fh = await open(path, 'w', 0o600);
        try {
          await fh.truncate(sizeBytes);
          await fill({ write: async (data, position) => { await fh.write(data, 0, data.length, position); } });
          await fh.sync();
        } finally {
          await fh.close();
        }
      };
      if (fmt === 'raw') return build(pathOf('volume', v.id), async (p) => { await fillInto(p); await growTo(p, fmt, v.sizeGb); });
      const raw = join(opts.dir, `${PARTIAL}raw-in-${fileName('volume', v.id)}`);
      try {
        await fillInto(raw);
        return await build(pathOf('volume', v.id), async (p) => {
          await qemu.run(['convert', '-q', '-f', 'raw', '-O', fmt, raw, p]);
          await growTo(p, fmt, v.sizeGb);
        });
      } finally {
        await rm(raw, { force: true });
      }
    },
    legacyBackups: {
      // The layout before chunked backups: one compressed qcow2 per backup at <backups dir>/backup-<id>, its location.
      owns: (location) => {
        const id = basename(location).replace(/^backup-/, '');
        return UUID.test(id) && location === backupPath(id);
      },
      async restore(b, v) {
        const fmt = format(v.format);
        // Built beside the volume and renamed over it: the volume holds either its old data or the backup's, never half.
        await build(pathOf('volume', v.id), async (p) => {
          await qemu.run(['convert', '-q', '-f', 'qcow2', '-O', fmt, backupPath(b.id), p]);
          await growTo(p, fmt, v.sizeGb);
        });
      },
      async createVolume(v, b) {
        const fmt = format(v.format);
        return build(pathOf('volume', v.id), async (p) => {
          await qemu.run(['convert', '-q', '-f', 'qcow2', '-O', fmt, backupPath(b.id), p]);
          await growTo(p, fmt, v.sizeGb);
        });
      },
      async delete(b) {
        await rm(backupPath(b.id), { force: true });
      },
    },
    async initializeConnection(v, _connector, readOnly) {
      const path = pathOf('volume', v.id);
      await stat(path);
      // A local file and its format: what Compute's QEMU driver needs to hot-plug it (-blockdev file + format node).
      return { driver_volume_type: 'file', data: { path, format: format(v.format), name: fileName('volume', v.id), volume_id: v.id, access_mode: readOnly ? 'ro' : 'rw' } };
    },
  };
}
