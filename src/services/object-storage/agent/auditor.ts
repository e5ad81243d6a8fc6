// The object auditor (Swift's object-auditor): walks every object on the local devices at a bounded rate, checks the
// newest replica's size and MD5 against its metadata, and quarantines a bad one as the read path does — so the
// replicator, seeing the replica gone, pushes a good copy from another device before any reader meets the damage.
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '#lib/log.ts';
import { listObjectHashes, listPartitions, newestVersion, partitionDir, quarantineDir, readMetadata } from './disk-layout.ts';
import type { SuffixHashes } from './suffix-hashes.ts';

export interface AuditReport {
  /** Live replicas checked. */
  objects: number;
  /** Bytes read. */
  bytes: number;
  quarantined: number;
  /** Replicas that could not be read (left for the next pass). */
  errors: number;
}

export interface AuditorDeps {
  root: string;
  devices: string[];
  /** Most bytes per second the auditor reads (Swift's bytes_per_second); 0 for no limit. */
  bytesPerSecond: number;
  hashes: SuffixHashes;
  log: Logger;
  /** Stops a running pass early (the service is closing). */
  signal?: AbortSignal;
}

/** Reads no faster than the configured rate: sleeps whenever reading got ahead of it. */
function createThrottle(bytesPerSecond: number, signal?: AbortSignal): (bytes: number) => Promise<void> {
  const started = performance.now();
  let total = 0;
  return async (bytes) => {
    total += bytes;
    if (bytesPerSecond <= 0) return;
    const ahead = (total / bytesPerSecond) * 1000 - (performance.now() - started);
    if (ahead > 1) await sleep(ahead, undefined, { signal }).catch(() => undefined);
  };
}

/** One pass over every object on the local devices. */
export async function auditPass(deps: AuditorDeps): Promise<AuditReport> {
  const report: AuditReport = { objects: 0, bytes: 0, quarantined: 0, errors: 0 };
  const throttle = createThrottle(deps.bytesPerSecond, deps.signal);
  for (const device of deps.devices) {
    for (const partition of await listPartitions(deps.root, device)) {
      for (const hash of await listObjectHashes(deps.root, device, partition)) {
        if (deps.signal?.aborted) return report;
        const dir = join(partitionDir(deps.root, device, partition), hash);
        try {
          await auditObject(deps, { device, partition, hash, dir }, report, throttle);
        } catch (err) {
          report.errors++;
          deps.log.warn({ err: (err as Error).message, device, partition, hash }, 'object audit failed');
        }
      }
    }
  }
  return report;
}

async function auditObject(deps: AuditorDeps, at: { device: string; partition: number; hash: string; dir: string }, report: AuditReport, throttle: (bytes: number) => Promise<void>): Promise<void> {
  const v = await newestVersion(at.dir);
  if (v?.kind !== 'data') return;
  const metadata = await readMetadata(at.dir, v.timestamp).catch(() => undefined);
  // Replaced or deleted while we looked: the newer version is audited next pass.
  if (!metadata) return;
  const path = join(at.dir, `${v.timestamp}.data`);
  const md5 = createHash('md5');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      md5.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      await throttle((chunk as Buffer).length);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  report.objects++;
  report.bytes += size;
  if (size === metadata.size && md5.digest('hex') === metadata.etag) return;
  // Quarantine only if this is still the version we read (a PUT may have replaced it meanwhile).
  const now = await newestVersion(at.dir);
  if (now?.timestamp !== v.timestamp || now.kind !== 'data' || !(await stat(path).catch(() => undefined))) return;
  await quarantineDir(deps.root, at.device, at.dir);
  deps.hashes.invalidate(at.device, at.partition, at.hash);
  report.quarantined++;
  deps.log.warn({ device: at.device, partition: at.partition, hash: at.hash, timestamp: v.timestamp }, 'auditor quarantined a corrupt object replica');
}
