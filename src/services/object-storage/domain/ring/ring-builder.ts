// Builds and rebalances a ring deterministically: partitions are spread over devices in proportion to their weight,
// a partition's replicas go to distinct devices and, where the zones allow it, distinct zones; a rebalance moves only
// what must move (assignments to removed, drained or overfull devices).
import type { Ring, RingDevice } from './ring.ts';

export interface RingBuildOptions {
  partPower: number;
  replicas: number;
  hashSuffix: string;
  devices: RingDevice[];
}

/** A ring from nothing; the same options always give the same ring. */
export function buildRing(opts: RingBuildOptions): Ring {
  return rebalanceRing(undefined, opts);
}

/** Validates the options; throws an Error saying what is wrong. */
function check(opts: RingBuildOptions): void {
  if (!Number.isInteger(opts.partPower) || opts.partPower < 0 || opts.partPower > 20) throw new Error('part_power must be an integer from 0 to 20');
  if (!Number.isInteger(opts.replicas) || opts.replicas < 1) throw new Error('replicas must be a positive integer');
  const live = opts.devices.filter((d) => d.weight > 0);
  if (live.length < opts.replicas) throw new Error(`a ring of ${opts.replicas} replicas needs at least ${opts.replicas} devices with weight > 0; it has ${live.length}`);
  const ids = new Set(opts.devices.map((d) => d.id));
  const names = new Set(opts.devices.map((d) => d.name));
  if (ids.size !== opts.devices.length || names.size !== opts.devices.length) throw new Error('device ids and names must be unique');
  for (const d of opts.devices) if (!/^[A-Za-z0-9_-]{1,64}$/.test(d.name)) throw new Error(`device name ${JSON.stringify(d.name)} must be 1-64 letters, digits, _ or -`);
}

/**
 * Rebalances `previous` (if any) onto `opts.devices`: keeps every assignment that is still valid and under its
 * device's share, then fills the rest choosing, for each replica, the device that wants partitions most among those
 * in unused zones (then unused devices). Deterministic.
 */
export function rebalanceRing(previous: Ring | undefined, opts: RingBuildOptions): Ring {
  check(opts);
  const parts = 2 ** opts.partPower;
  const devices = [...opts.devices].sort((a, b) => a.id - b.id);
  const live = devices.filter((d) => d.weight > 0);
  const totalWeight = live.reduce((s, d) => s + d.weight, 0);
  const wanted = new Map(live.map((d) => [d.id, (parts * opts.replicas * d.weight) / totalWeight]));
  const assigned = new Map(live.map((d) => [d.id, 0]));
  const byId = new Map(live.map((d) => [d.id, d]));
  const assignments: number[][] = Array.from({ length: opts.replicas }, () => new Array<number>(parts).fill(-1));

  // Keep what may stay: a live device, no duplicate device in the partition; then give back what overfull devices
  // hold beyond their share, at most one replica per partition per sweep, so a partition never loses all its replicas
  // at once and the freed slots can go to new devices.
  if (previous && previous.partPower === opts.partPower) {
    for (let p = 0; p < parts; p++) {
      const seen = new Set<number>();
      for (let r = 0; r < Math.min(opts.replicas, previous.replicas); r++) {
        const id = previous.assignments[r][p];
        if (!byId.has(id) || seen.has(id)) continue;
        seen.add(id);
        assignments[r][p] = id;
        assigned.set(id, assigned.get(id)! + 1);
      }
    }
    const excess = (id: number) => assigned.get(id)! - Math.ceil(wanted.get(id)!);
    for (let sweep = 0; sweep < opts.replicas && live.some((d) => excess(d.id) > 0); sweep++) {
      for (let i = 0; i < parts; i++) {
        // Visit partitions in a scattered but fixed order, so releases do not cluster at low partition numbers.
        const p = (i * 2654435761) % parts;
        let worst = -1;
        for (let r = 0; r < opts.replicas; r++) {
          const id = assignments[r][p];
          if (id !== -1 && excess(id) > 0 && (worst === -1 || excess(id) > excess(assignments[worst][p]))) worst = r;
        }
        if (worst === -1) continue;
        assigned.set(assignments[worst][p], assigned.get(assignments[worst][p])! - 1);
        assignments[worst][p] = -1;
      }
    }
  }

  for (let p = 0; p < parts; p++) {
    for (let r = 0; r < opts.replicas; r++) {
      if (assignments[r][p] !== -1) continue;
      const taken = assignments.map((row) => row[p]).filter((id) => id !== -1);
      const zones = new Set(taken.map((id) => byId.get(id)!.zone));
      const candidates = live.filter((d) => !taken.includes(d.id));
      const inNewZone = candidates.filter((d) => !zones.has(d.zone));
      const pool = inNewZone.length > 0 ? inNewZone : candidates;
      let best = pool[0];
      for (const d of pool) {
        const need = wanted.get(d.id)! - assigned.get(d.id)!;
        const bestNeed = wanted.get(best.id)! - assigned.get(best.id)!;
        if (need > bestNeed) best = d;
      }
      assignments[r][p] = best.id;
      assigned.set(best.id, assigned.get(best.id)! + 1);
    }
  }
  return { partPower: opts.partPower, replicas: opts.replicas, hashSuffix: opts.hashSuffix, devices, assignments };
}

/** How many partition replicas differ between two rings of the same size (what a rebalance moves). */
export function movedReplicas(a: Ring, b: Ring): number {
  let moved = 0;
  for (let r = 0; r < Math.min(a.replicas, b.replicas); r++) {
    for (let p = 0; p < a.assignments[r].length; p++) if (a.assignments[r][p] !== b.assignments[r][p]) moved++;
  }
  return moved;
}
