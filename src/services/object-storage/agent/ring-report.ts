// What `stratus ring` prints: the ring's shape and, per device, its zone, weight, partitions held and how far that is
// from its weight's fair share (Swift's "balance"), so an operator sees the effect of a device change.
import type { Ring } from '../domain/ring/ring.ts';

export function describeRing(ring: Ring, opts: { moved?: number } = {}): string {
  const partitions = 2 ** ring.partPower;
  const held = new Map<number, number>(ring.devices.map((d) => [d.id, 0]));
  for (const row of ring.assignments) for (const id of row) held.set(id, (held.get(id) ?? 0) + 1);
  const totalWeight = ring.devices.reduce((t, d) => t + d.weight, 0);
  const lines = [
    `${partitions} partitions (part power ${ring.partPower}), ${ring.replicas} replicas, ${ring.devices.length} devices in ${new Set(ring.devices.map((d) => d.zone)).size} zones`,
    ...(opts.moved !== undefined ? [`${opts.moved} partition replicas moved by this rebalance`] : []),
    '',
    '  id  name              zone  weight  partitions  balance',
    ...ring.devices.map((d) => {
      const fair = totalWeight > 0 ? (partitions * ring.replicas * d.weight) / totalWeight : 0;
      const count = held.get(d.id) ?? 0;
      const balance = fair > 0 ? `${(((count - fair) / fair) * 100).toFixed(2)}%` : (count ? 'draining' : '-');
      const node = d.ip !== undefined ? `  ${d.ip.includes(':') ? `[${d.ip}]` : d.ip}:${d.port}` : '';
      return `${String(d.id).padStart(4)}  ${d.name.padEnd(16)}  ${String(d.zone).padStart(4)}  ${String(d.weight).padStart(6)}  ${String(count).padStart(10)}  ${balance.padStart(7)}${node}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
