// The ring, in Swift's design: 2^part_power partitions, each mapped to `replicas` devices; a name hashes to one partition.
import { createHash } from 'node:crypto';

export interface RingDevice {
  /** Stable small integer; assignments refer to devices by id. */
  id: number;
  /** The directory under <dataDir>/objects/ that holds the device's data. */
  name: string;
  zone: number;
  /** Relative share of partitions; 0 drains the device. */
  weight: number;
  /** The storage node serving the device over HTTP (scale-out); absent: the device is local to every process. */
  ip?: string;
  port?: number;
}

export interface Ring {
  partPower: number;
  replicas: number;
  /** Salt mixed into every hash (Swift's swift_hash_path_suffix), so partition placement is not guessable. */
  hashSuffix: string;
  devices: RingDevice[];
  /** assignments[replica][partition] = device id. */
  assignments: number[][];
}

/** The partition a path (`account`, `account/container` or `account/container/object`) belongs to. */
export function partitionOf(ring: Pick<Ring, 'partPower' | 'hashSuffix'>, ...path: string[]): number {
  const digest = createHash('md5').update(`/${path.join('/')}${ring.hashSuffix}`).digest();
  return ring.partPower === 0 ? 0 : digest.readUInt32BE(0) >>> (32 - ring.partPower);
}

/** The hash that names an object's directory on a device (md5 of its salted path, hex). */
export function nameHash(ring: Pick<Ring, 'hashSuffix'>, ...path: string[]): string {
  return createHash('md5').update(`/${path.join('/')}${ring.hashSuffix}`).digest('hex');
}

/** The devices holding a partition's replicas, in replica order. */
export function primaryNodes(ring: Ring, partition: number): RingDevice[] {
  const byId = new Map(ring.devices.map((d) => [d.id, d]));
  return ring.assignments.map((row) => byId.get(row[partition])!).filter(Boolean);
}

/**
 * The other devices, in the order a proxy tries them when a primary is down: a deterministic shuffle per partition,
 * devices in zones the primaries do not use first, so a handoff keeps replicas apart.
 */
export function handoffNodes(ring: Ring, partition: number): RingDevice[] {
  const primaries = primaryNodes(ring, partition);
  const used = new Set(primaries.map((d) => d.id));
  const zones = new Set(primaries.map((d) => d.zone));
  const score = (d: RingDevice) => createHash('md5').update(`${partition}/${d.id}`).digest().readUInt32BE(0);
  return ring.devices.filter((d) => !used.has(d.id))
    .sort((a, b) => Number(zones.has(a.zone)) - Number(zones.has(b.zone)) || score(a) - score(b) || a.id - b.id);
}

/** How many replicas must accept a write before the proxy acknowledges it: a majority (Swift's quorum_size). */
export function writeQuorum(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}

/**
 * The devices that should hold a partition now: each primary, or in place of an absent one the next available
 * handoff (the proxy writes there, and the replicator keeps the replica count there until the primary is back).
 */
export function replicaNodes(ring: Ring, partition: number, available: (device: string) => boolean): RingDevice[] {
  const handoffs = handoffNodes(ring, partition).filter((d) => available(d.name));
  return primaryNodes(ring, partition).flatMap((d) => {
    const device = available(d.name) ? d : handoffs.shift();
    return device ? [device] : [];
  });
}
