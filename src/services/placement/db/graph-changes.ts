// This process's count of provider-graph changes that bump no generation (re-parenting, aggregates before 1.19,
// renaming a resource class in use, deleting a provider): a copy of the graph taken before one is no longer used.
import type { PlacementDb } from './tables.ts';

const epochs = new WeakMap<PlacementDb, number>();

export function graphEpoch(db: PlacementDb): number {
  return epochs.get(db) ?? 0;
}

/** Called once such a write has committed. */
export function forgetProviderGraph(db: PlacementDb): void {
  epochs.set(db, graphEpoch(db) + 1);
}
