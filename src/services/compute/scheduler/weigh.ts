// Orders hosts by the sum of normalised weights (each weigher's values scaled to 0..1 across the hosts, as Nova does).
import type { FilterRequest, HostState, HostWeigher } from './host-state.ts';

export function orderByWeight(hosts: HostState[], weighers: HostWeigher[], req: FilterRequest): HostState[] {
  const totals = new Map<HostState, number>(hosts.map((h) => [h, 0]));
  for (const w of weighers) {
    const values = hosts.map((h) => w.weigh(h, req));
    const min = Math.min(...values);
    const max = Math.max(...values);
    hosts.forEach((h, i) => {
      const normalised = max === min ? 0 : (values[i] - min) / (max - min);
      totals.set(h, totals.get(h)! + w.multiplier * normalised);
    });
  }
  // Ties keep Placement's order, which is already random among equals.
  return [...hosts].sort((a, b) => totals.get(b)! - totals.get(a)!);
}
