// What interrupted writes and corrupt replicas leave on a device, cleaned up or counted as Swift's background daemons
// do: temp files in <device>/tmp older than reclaim_age are removed by the replicator (a live write's temp file is
// seconds old), and quarantined replicas in <device>/quarantined/objects are kept for the operator and counted
// (swift-recon's quarantined report).
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from './disk-layout.ts';

/** Removes files in the device's tmp directory last modified more than `maxAgeSeconds` ago; resolves to how many. */
export async function reclaimTmp(root: string, device: string, maxAgeSeconds: number, nowMs = Date.now()): Promise<number> {
  const dir = tmpDir(root, device);
  const cutoff = nowMs - maxAgeSeconds * 1000;
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile() || st.mtimeMs >= cutoff) continue;
    if (await unlink(path).then(() => true, () => false)) removed++;
  }
  return removed;
}

/** Quarantined object replicas per device (entries in <device>/quarantined/objects). */
export async function quarantinedCounts(root: string, devices: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const d of devices) out[d] = (await readdir(join(root, d, 'quarantined', 'objects')).catch(() => [] as string[])).length;
  return out;
}

/** Files in a device's tmp directory (what interrupted writes left, and writes under way). */
export async function tmpFileCount(root: string, device: string): Promise<number> {
  return (await readdir(tmpDir(root, device)).catch(() => [] as string[])).length;
}
