// The object auditor (Swift's object-auditor): walks every object on the local devices at a bounded rate, checks the
// newest replica's size and MD5 against its metadata, and quarantines a bad one as the read path does — so the
// replicator, seeing the replica gone, pushes a good copy from another device before any reader meets the damage.
// Tombstones past reclaim_age (and a crash's leftovers) it meets are handed to the replicator's hashing to remove, and
// each pass ends with the count of quarantined replicas kept per device, logged.
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '#lib/log.ts';
import { listObjectHashes, listPartitions, newestVersion, partitionDir, quarantineDir, readSidecar } from './disk-layout.ts';
import type { Version } from './disk-layout.ts';
import { quarantinedCounts } from './disk-reclaim.ts';
import { BadReplicaFile, openReplica } from './replica-file.ts';
import type { OpenReplica } from './replica-file.ts';
import type { SuffixHashes } from './suffix-hashes.ts';

export interface AuditReport {
  /** Live replicas checked. */
  objects: number;
  /** Bytes read. */
  bytes: number;
  quarantined: number;
  /** Replicas that could not be read (left for the next pass). */
  errors: number;
  /** Object directories holding only a tombstone past reclaim_age or a crash's leftovers, handed to the replicator. */
  reclaimable: number;
  /** Quarantined replicas kept on each device (all passes), for the operator. */
  quarantinedOnDisk: Record<string, number>;
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
  /** Tombstones older than this many seconds are due for removal (Swift's reclaim_age); default: never. */
  reclaimAgeSeconds?: number;
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
  const report: AuditReport = { objects: 0, bytes: 0, quarantined: 0, errors: 0, reclaimable: 0, quarantinedOnDisk: {} };
  const throttle = createThrottle(deps.bytesPerSecond, deps.signal);
  for (const device of deps.devices) {
    for (const partition of await listPartitions(deps.root, device)) {
      for (const hash of await listObjectHashes(deps.root, device, partition)) {
        if (deps.signal?.aborted) return summarize(deps, report);
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
  return summarize(deps, report);
}

/** Adds the quarantine counts to the report and logs them: what Swift operators read from swift-recon -q. */
async function summarize(deps: AuditorDeps, report: AuditReport): Promise<AuditReport> {
  report.quarantinedOnDisk = await quarantinedCounts(deps.root, deps.devices);
  const kept = Object.values(report.quarantinedOnDisk).reduce((a, b) => a + b, 0);
  const line = { objects: report.objects, bytes: report.bytes, quarantined: report.quarantined, errors: report.errors, quarantinedOnDisk: report.quarantinedOnDisk };
  if (kept > 0) deps.log.warn(line, 'object auditor pass done; quarantined replicas are kept under <device>/quarantined/objects');
  else deps.log.info(line, 'object auditor pass done');
  return report;
}

/**
 * A directory whose newest file is a tombstone past reclaim_age, or that holds no complete version (a crash's
 * leftovers), is marked changed: the replicator's next hashing of its suffix removes what is due (suffix-hashes.ts).
 */
function markReclaimable(deps: AuditorDeps, at: { device: string; partition: number; hash: string }, v: Version | undefined, report: AuditReport): void {
  if (deps.reclaimAgeSeconds === undefined) return;
  if (v && (v.kind !== 'ts' || Number(v.timestamp) >= Date.now() / 1000 - deps.reclaimAgeSeconds)) return;
  deps.hashes.invalidate(at.device, at.partition, at.hash);
  report.reclaimable++;
}

async function auditObject(deps: AuditorDeps, at: { device: string; partition: number; hash: string; dir: string }, report: AuditReport, throttle: (bytes: number) => Promise<void>): Promise<void> {
  const v = await newestVersion(at.dir);
  if (v?.kind !== 'data') return markReclaimable(deps, at, v, report);
  const path = join(at.dir, `${v.timestamp}.data`);
  // The sidecar's metadata if there is one (a POST's, or the layout before footers), checked against the file.
  let good = true;
  let replica: OpenReplica | undefined;
  try {
    replica = await openReplica(path, await readSidecar(at.dir, v.timestamp), 0);
  } catch (err) {
    if (!(err instanceof BadReplicaFile)) throw err;
    good = false;
  }
  if (good) {
    // Replaced or deleted while we looked: the newer version is audited next pass.
    if (!replica) return;
    await replica.fh.close();
    const { metadata } = replica;
    const md5 = createHash('md5');
    let size = 0;
    try {
      if (metadata.size > 0) {
        for await (const chunk of createReadStream(path, { start: 0, end: metadata.size - 1 })) {
          md5.update(chunk as Buffer);
          size += (chunk as Buffer).length;
          await throttle((chunk as Buffer).length);
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    report.objects++;
    report.bytes += size;
    if (size === metadata.size && md5.digest('hex') === metadata.etag) return;
  }
  // Quarantine only if this is still the version we read (a PUT may have replaced it meanwhile).
  const now = await newestVersion(at.dir);
  if (now?.timestamp !== v.timestamp || now.kind !== 'data' || !(await stat(path).catch(() => undefined))) return;
  await quarantineDir(deps.root, at.device, at.dir);
  deps.hashes.invalidate(at.device, at.partition, at.hash);
  report.quarantined++;
  deps.log.warn({ device: at.device, partition: at.partition, hash: at.hash, timestamp: v.timestamp }, 'auditor quarantined a corrupt object replica');
}
