// The storage node's replication interface, as one replicator calls another node's devices: Swift's REPLICATE verb
// (suffix digests of a partition) and an ssync-like exchange (which versions a suffix holds, push the newer ones).
// Objects are addressed by device, partition and object hash, never by name: what is synced is the on-disk state.
import type { Readable } from 'node:stream';
import type { ObjectMetadata } from './object-server.ts';

/** The newest version an object directory holds: live data (with the time of its last POST) or a tombstone. */
export interface ReplicaVersion {
  hash: string;
  timestamp: string;
  kind: 'data' | 'ts';
  metaTimestamp?: string;
}

/**
 * A version as pushed to a peer: a tombstone, or the sidecar metadata with the bytes. `data` is absent when only
 * the metadata is newer (a POST the peer missed) and the peer already has the bytes of that timestamp.
 */
export type VersionFiles =
  | { hash: string; kind: 'ts'; timestamp: string }
  | { hash: string; kind: 'data'; metadata: ObjectMetadata; data?: Readable };

export interface ReplicationServer {
  /** Whether the device is present (a replicator skips absent peers, as Swift does on 507). */
  available(device: string): boolean;
  /** The partitions a device holds. */
  partitions(device: string): Promise<number[]>;
  /** Swift's REPLICATE: suffix → digest for a partition on a device, `recalculate` suffixes hashed afresh. */
  suffixHashes(device: string, partition: number, opts?: { recalculate?: string[] }): Promise<Record<string, string>>;
  /** The newest version of every object under the given suffixes. */
  versions(device: string, partition: number, suffixes: string[]): Promise<ReplicaVersion[]>;
  /**
   * Opens a version for pushing; undefined when it is no longer the newest. The data stream is MD5-checked as it
   * passes: a corrupt local replica fails the stream and is quarantined, so corruption never spreads. With
   * `metadataOnly`, live data comes without its bytes (for a peer that has them and only missed a POST).
   */
  readVersion(device: string, partition: number, v: ReplicaVersion, opts?: { metadataOnly?: boolean }): Promise<VersionFiles | undefined>;
  /**
   * Stores a pushed version durably (as a PUT does) unless the device already has one as new; the bytes must match
   * the metadata's size and MD5 or nothing is kept. Resolves to whether anything changed.
   */
  receive(device: string, partition: number, files: VersionFiles): Promise<boolean>;
  /** Removes exactly this version's files (a handoff's copy once every primary has it), then empty directories. */
  drop(device: string, partition: number, v: ReplicaVersion): Promise<void>;
}
