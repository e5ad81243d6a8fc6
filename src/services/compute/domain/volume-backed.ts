// A volume-backed server (booted from a volume, so no image of its own) keeps its root disk in Block Storage, not on
// its host: like Nova, it claims no DISK_GB in Placement for the flavor's root disk, only for ephemeral and swap.
import type { Flavor } from './flavor.ts';
import { resourcesOf } from './instance.ts';

export const isVolumeBacked = (server: { imageRef: string }): boolean => !server.imageRef;

/** The Placement resources a server claims with `flavor` (its own, or a resize's new one). */
export function claimedResources(server: { imageRef: string }, flavor: Flavor): Record<string, number> {
  return resourcesOf(isVolumeBacked(server) ? { ...flavor, disk: 0 } : flavor);
}
