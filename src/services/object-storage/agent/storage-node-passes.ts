// The storage node's background work on its local devices: the suffix hashes its object server keeps current, the
// replication endpoint peers call, and the replicator and auditor passes (every interval, or on demand).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '#lib/log.ts';
import type { Ring } from '../domain/ring/ring.ts';
import type { ReplicationServer } from '../rpc/object-replication.ts';
import { routeReplicationServer } from '../rpc/device-router.ts';
import { auditPass } from './auditor.ts';
import type { AuditReport } from './auditor.ts';
import { startPeriodicPass } from './periodic.ts';
import { createReplicationEndpoint } from './replication-endpoint.ts';
import { replicationPass } from './replicator.ts';
import type { ReplicationReport } from './replicator.ts';
import { createSuffixHashes } from './suffix-hashes.ts';
import type { SuffixHashes } from './suffix-hashes.ts';

export interface StorageNodePassOptions {
  fsync: boolean;
  replicator_interval: number;
  auditor_interval: number;
  auditor_bytes_per_second: number;
  reclaim_age: number;
}

export interface StorageNodePasses {
  hashes: SuffixHashes;
  endpoint: ReplicationServer;
  /** One replicator pass now (after a running one). */
  replicate(): Promise<ReplicationReport>;
  /** One auditor pass now (after a running one). */
  audit(): Promise<AuditReport>;
  stop(): Promise<void>;
}

export function startStorageNodePasses(deps: {
  ring: Ring; root: string; options: StorageNodePassOptions; log: Logger; peers?: ReplicationServer;
  /** This node's devices (default: every ring device present under root) and the other nodes' endpoints (scale-out). */
  devices?: readonly string[]; remote?: ReplicationServer & { check?(): Promise<void> };
}): StorageNodePasses {
  const { ring, root, options, log } = deps;
  const available = (device: string) => existsSync(join(root, device));
  const hashes = createSuffixHashes({ root, reclaimAgeSeconds: options.reclaim_age });
  const endpoint = createReplicationEndpoint({ root, fsync: options.fsync, hashes, available });
  // Every ring device present under this node's root is local; all of them in one process.
  const localDevices = () => (deps.devices ?? ring.devices.map((d) => d.name)).filter(available);
  const mine = new Set(deps.devices ?? ring.devices.map((d) => d.name));
  const peers = deps.remote ? routeReplicationServer((d) => mine.has(d), endpoint, deps.remote) : deps.peers ?? endpoint;
  const replicator = startPeriodicPass({
    name: 'replicator', intervalMs: options.replicator_interval * 1000, log,
    // A pass starts from fresh knowledge of which storage nodes answer, so it pushes to primaries, not handoffs.
    pass: async (signal) => { await deps.remote?.check?.(); return replicationPass({
      ring, devices: localDevices(), local: endpoint, peers, log, signal, tmp: { root, maxAgeSeconds: options.reclaim_age },
    }); },
  });
  const auditor = startPeriodicPass({
    name: 'auditor', intervalMs: options.auditor_interval * 1000, log,
    pass: (signal) => auditPass({ root, devices: localDevices(), bytesPerSecond: options.auditor_bytes_per_second, hashes, log, signal, reclaimAgeSeconds: options.reclaim_age }),
  });
  return {
    hashes, endpoint,
    replicate: () => replicator.runOnce(),
    audit: () => auditor.runOnce(),
    async stop() { await Promise.all([replicator.stop(), auditor.stop()]); },
  };
}
