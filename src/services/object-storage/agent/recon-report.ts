// What `stratus recon` prints for this data directory, the local part of swift-recon: per device, the quarantined
// replicas kept for the operator (-q) and the temp files interrupted or running writes hold; and the proxy's pending
// listing updates (-a, async pendings) that the object updater has not applied yet.
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { quarantinedCounts, tmpFileCount } from './disk-reclaim.ts';

export interface ReconReport {
  devices: Record<string, { quarantined: number; tmpFiles: number }>;
  asyncPending: number;
}

/** Counts for the ring devices present under `root` and the pending records in `pendingDir`. */
export async function reconReport(root: string, ringDevices: readonly string[], pendingDir: string): Promise<ReconReport> {
  const local = ringDevices.filter((d) => existsSync(join(root, d)));
  const quarantined = await quarantinedCounts(root, local);
  const devices: ReconReport['devices'] = {};
  for (const d of local) devices[d] = { quarantined: quarantined[d], tmpFiles: await tmpFileCount(root, d) };
  const asyncPending = (await readdir(pendingDir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).length;
  return { devices, asyncPending };
}

export function describeRecon(root: string, r: ReconReport): string {
  const names = Object.keys(r.devices);
  const lines = [
    root,
    names.length === 0 ? '(no ring device on this host)' : '  device            quarantined  tmp files',
    ...names.map((d) => `  ${d.padEnd(16)}  ${String(r.devices[d].quarantined).padStart(11)}  ${String(r.devices[d].tmpFiles).padStart(9)}`),
    `async pendings (listing updates the object updater has yet to apply): ${r.asyncPending}`,
  ];
  return `${lines.join('\n')}\n`;
}
