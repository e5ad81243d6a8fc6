// The object replicator (Swift's object-replicator, push model): for every partition on a local device, compare suffix
// digests with each device that should hold the partition, look inside only the suffixes that differ, and push the
// versions the peer lacks or holds older (tombstones included, so a delete wins over older data everywhere). A device
// holding a partition it should not (a handoff) pushes to all the right devices, then removes its copy. Each device's
// temp files older than reclaim_age (interrupted writes) are removed first, as Swift's replicator does.
import type { Logger } from '#lib/log.ts';
import { primaryNodes, replicaNodes } from '../domain/ring/ring.ts';
import type { Ring } from '../domain/ring/ring.ts';
import type { ReplicaVersion, ReplicationServer } from '../rpc/object-replication.ts';
import { reclaimTmp } from './disk-reclaim.ts';
import { isNewer } from './replication-endpoint.ts';

export interface ReplicationReport {
  /** Partitions looked at (on all local devices). */
  partitions: number;
  /** Versions pushed to a peer that lacked them or held an older one. */
  pushed: number;
  /** Handoff partitions emptied after every primary had their data. */
  handoffsDrained: number;
  /** Pushes or peers that failed; retried on the next pass. */
  failures: number;
  /** Temp files older than reclaim_age removed (left by writes a crash interrupted). */
  tmpReclaimed: number;
}

export interface ReplicatorDeps {
  ring: Ring;
  /** This node's devices. */
  devices: string[];
  /** This node's replication endpoint. */
  local: ReplicationServer;
  /** How to reach any device's replication endpoint (in one process: the same endpoint). */
  peers: ReplicationServer;
  log: Logger;
  /** Partitions replicated at once per device (default 4). */
  concurrency?: number;
  /** Ends a pass early, between partitions (the service is closing). */
  signal?: AbortSignal;
  /** Where the devices are and how old a temp file must be before it is removed (Swift: reclaim_age). */
  tmp?: { root: string; maxAgeSeconds: number };
}

/** One pass over every local partition; never throws for a peer's failure (it is counted and logged). */
export async function replicationPass(deps: ReplicatorDeps): Promise<ReplicationReport> {
  const report: ReplicationReport = { partitions: 0, pushed: 0, handoffsDrained: 0, failures: 0, tmpReclaimed: 0 };
  for (const device of deps.devices) {
    if (!deps.local.available(device)) continue;
    if (deps.tmp) report.tmpReclaimed += await reclaimTmp(deps.tmp.root, device, deps.tmp.maxAgeSeconds);
    const queue = (await deps.local.partitions(device)).filter((p) => p < 2 ** deps.ring.partPower);
    // A few partitions at a time: each step is a small file operation, so this keeps the disk (and fs threads) busy.
    const worker = async () => {
      for (let partition = queue.shift(); partition !== undefined && !deps.signal?.aborted; partition = queue.shift()) {
        report.partitions++;
        await replicatePartition(deps, device, partition, report).catch((err: unknown) => {
          report.failures++;
          deps.log.warn({ err: (err as Error).message, device, partition }, 'object partition replication failed');
        });
      }
    };
    await Promise.all(Array.from({ length: deps.concurrency ?? 4 }, worker));
  }
  if (report.pushed > 0) deps.log.info({ report }, 'object replicator pushed missing or newer replicas');
  if (report.tmpReclaimed > 0) deps.log.info({ removed: report.tmpReclaimed }, 'object replicator removed temp files older than reclaim_age');
  return report;
}

async function replicatePartition(deps: ReplicatorDeps, device: string, partition: number, report: ReplicationReport): Promise<void> {
  const targets = replicaNodes(deps.ring, partition, (d) => deps.peers.available(d)).map((d) => d.name);
  const handoff = !targets.includes(device);
  const mine = await deps.local.suffixHashes(device, partition);
  const suffixes = Object.keys(mine);
  if (suffixes.length === 0) return;
  // A handoff lists what it holds before pushing, and later drops only those versions (anything newer stays).
  const held = handoff ? await deps.local.versions(device, partition, suffixes) : [];
  let synced = 0;
  for (const target of targets.filter((t) => t !== device)) {
    try {
      const failed = await syncTo(deps, { device, target, partition, mine }, report);
      if (failed === 0) synced++;
      else report.failures += failed;
    } catch (err) {
      report.failures++;
      deps.log.warn({ err: (err as Error).message, device, target, partition }, 'object replication to a peer failed');
    }
  }
  if (!handoff || synced < primaryNodes(deps.ring, partition).length) return;
  for (const v of held) await deps.local.drop(device, partition, v);
  await deps.local.suffixHashes(device, partition);
  report.handoffsDrained++;
  deps.log.info({ device, partition, objects: held.length }, 'handoff partition moved to its primaries');
}

/** Pushes what `target` lacks of the partition; resolves to the number of versions that failed. */
async function syncTo(deps: ReplicatorDeps, at: { device: string; target: string; partition: number; mine: Record<string, string> }, report: ReplicationReport): Promise<number> {
  const { device, target, partition, mine } = at;
  const theirs = await deps.peers.suffixHashes(target, partition);
  const differ = Object.keys(mine).filter((s) => mine[s] !== theirs[s]);
  if (differ.length === 0) return 0;
  const [local, remote] = await Promise.all([deps.local.versions(device, partition, differ), deps.peers.versions(target, partition, differ)]);
  const remoteByHash = new Map(remote.map((v) => [v.hash, v]));
  let failed = 0;
  for (const v of local) {
    const r = remoteByHash.get(v.hash);
    if (!isNewer(v, r)) continue;
    try {
      if (await push(deps, { device, target, partition }, v, r)) report.pushed++;
    } catch (err) {
      failed++;
      deps.log.warn({ err: (err as Error).message, device, target, partition, hash: v.hash }, 'object replica push failed');
    }
  }
  return failed;
}

async function push(deps: ReplicatorDeps, at: { device: string; target: string; partition: number }, v: ReplicaVersion, theirs: ReplicaVersion | undefined): Promise<boolean> {
  const metadataOnly = v.kind === 'data' && theirs?.kind === 'data' && theirs.timestamp === v.timestamp;
  const files = await deps.local.readVersion(at.device, at.partition, v, { metadataOnly });
  if (!files) return false;
  return deps.peers.receive(at.target, at.partition, files);
}
