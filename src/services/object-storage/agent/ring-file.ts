// The object ring on disk: <objects dir>/object.ring.json, built on first start and rebalanced when the configured
// devices or replica count change. Written atomically (temp, fsync, rename).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rebalanceRing } from '../domain/ring/ring-builder.ts';
import type { Ring, RingDevice } from '../domain/ring/ring.ts';
import { writeFileDurably } from './disk-files.ts';

export interface RingConfig {
  /** name:zone:weight entries. */
  devices: string[];
  replicas: number;
  partPower: number;
}

/**
 * Parses `name:zone:weight[@host:port]` (zone and weight optional: zone = position, weight 100). `@host:port` names
 * the storage node serving the device over HTTP (scale-out; an IPv6 host in brackets).
 */
export function parseDevices(entries: string[]): Omit<RingDevice, 'id'>[] {
  return entries.map((entry, i) => {
    const [spec, address] = entry.split('@');
    const [name, zone, weight] = spec.split(':');
    const d = { name, zone: zone === undefined ? i + 1 : Number(zone), weight: weight === undefined ? 100 : Number(weight) };
    if (!Number.isInteger(d.zone) || !(d.weight >= 0)) throw new Error(`object_storage.devices: bad entry ${JSON.stringify(entry)} (expected name:zone:weight[@host:port])`);
    if (address === undefined) return d;
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) throw new Error(`object_storage.devices: bad storage node address in ${JSON.stringify(entry)} (expected host:port)`);
    return { ...d, ip: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

/** Loads the ring from `dir`, building or rebalancing it (and saving the result) when the configuration differs. */
export async function loadRing(dir: string, config: RingConfig): Promise<Ring> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'object.ring.json');
  const previous = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as Ring : undefined;
  if (previous && previous.partPower !== config.partPower) throw new Error(`object_storage.part_power is ${config.partPower} but the ring was built with ${previous.partPower}; it cannot change`);
  const wanted = parseDevices(config.devices);
  // Devices keep their ids across rebalances; new ones get the next free id.
  let nextId = Math.max(-1, ...(previous?.devices ?? []).map((d) => d.id)) + 1;
  const devices: RingDevice[] = wanted.map((d) => ({ ...d, id: previous?.devices.find((p) => p.name === d.name)?.id ?? nextId++ }));
  const same = previous && previous.replicas === config.replicas && JSON.stringify([...previous.devices].sort((a, b) => a.id - b.id)) === JSON.stringify([...devices].sort((a, b) => a.id - b.id));
  if (previous && same) return previous;
  const ring = rebalanceRing(previous, { partPower: config.partPower, replicas: config.replicas, hashSuffix: previous?.hashSuffix ?? randomBytes(8).toString('hex'), devices });
  await writeFileDurably(join(dir, `.object.ring.json.${process.pid}.tmp`), path, JSON.stringify(ring), true);
  return ring;
}
