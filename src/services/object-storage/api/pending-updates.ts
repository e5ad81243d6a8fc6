// Swift's async_pending, kept by the proxy: before a write changes any replica, a small record naming the object is
// made durable under <objects>/async_pending; it is removed once the listing (and with it the container and account
// stats) has been updated. A record left behind — the process died between the replicas and the database, or the
// database failed — is what the object updater (object-updater.ts) repairs from. The records are this proxy's own:
// one still in use by a request here is never handed to the updater.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectPath } from './replicas.ts';

/** What a record names: the object whose listing must match its replicas, and the write's timestamp. */
export interface PendingUpdate extends ObjectPath {
  op: 'put' | 'post' | 'delete';
  timestamp: string;
}

export interface PendingRecord {
  /** The record's file name. */
  id: string;
  /** Undefined when the file is unreadable (torn by a crash before any replica changed). */
  update?: PendingUpdate;
}

export interface PendingEntry {
  /** The listing is up to date: the record goes. */
  done(): Promise<void>;
  /** The listing may not be: the record stays for the updater. */
  release(): void;
}

export interface PendingUpdates {
  /** Makes the record durable (resolves only then); the write may change replicas after this. */
  begin(update: PendingUpdate): Promise<PendingEntry>;
  /** Records no request of this process is using, oldest first. */
  idle(): Promise<PendingRecord[]>;
  remove(id: string): Promise<void>;
}

export function createPendingUpdates(opts: { dir: string; fsync: boolean }): PendingUpdates {
  const inUse = new Set<string>();
  let dirReady = false;
  const remove = (id: string) => unlink(join(opts.dir, id)).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });

  /** The directory exists, and (with fsync) its own entry is durable, so a record's fsync'd entry survives a crash. */
  async function ensureDir(): Promise<void> {
    if (dirReady) return;
    await mkdir(opts.dir, { recursive: true });
    if (opts.fsync) await syncDir(join(opts.dir, '..'));
    dirReady = true;
  }

  return {
    async begin(update) {
      await ensureDir();
      // Named by timestamp first, so the updater handles records in the order the writes happened.
      const id = `${update.timestamp}-${randomUUID()}.json`;
      inUse.add(id);
      try {
        const fh = await open(join(opts.dir, id), 'wx');
        try {
          await fh.writeFile(JSON.stringify(update));
          if (opts.fsync) await fh.sync();
        } finally {
          await fh.close();
        }
        if (opts.fsync) await syncDir(opts.dir);
      } catch (err) {
        inUse.delete(id);
        await remove(id).catch(() => undefined);
        throw err;
      }
      let settled = false;
      return {
        async done() {
          if (settled) return;
          settled = true;
          // Without a sync: a removal lost in a crash only makes the updater check an object that was fine.
          await remove(id).finally(() => inUse.delete(id));
        },
        release() { settled = true; inUse.delete(id); },
      };
    },

    async idle() {
      const names = await readdir(opts.dir).catch(() => [] as string[]);
      const out: PendingRecord[] = [];
      for (const id of names.filter((n) => n.endsWith('.json') && !inUse.has(n)).sort()) {
        const text = await readFile(join(opts.dir, id), 'utf8').catch(() => undefined);
        if (text === undefined) continue;
        out.push({ id, update: parseUpdate(text) });
      }
      return out;
    },

    remove,
  };
}

function parseUpdate(text: string): PendingUpdate | undefined {
  try {
    const u = JSON.parse(text) as Partial<PendingUpdate>;
    const strings = [u.account, u.container, u.object, u.timestamp].every((v) => typeof v === 'string' && v !== '');
    return strings && ['put', 'post', 'delete'].includes(u.op ?? '') ? u as PendingUpdate : undefined;
  } catch {
    return undefined;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}
