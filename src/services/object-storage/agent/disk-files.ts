// Durable file writes on a device: write to a temp file, fsync, rename into place, fsync the directory.
import { open, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsyncs a directory so a rename into it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

/** Writes `text` to `tmp`, fsyncs it and renames it to `path`; the directory of `path` is created if needed. */
export async function writeFileDurably(tmp: string, path: string, text: string, fsync: boolean): Promise<void> {
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await mkdir(dirname(path), { recursive: true });
  await rename(tmp, path);
}
