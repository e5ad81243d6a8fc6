// Chooses a backend for a volume as cinder-scheduler's filter scheduler does: filters (availability zone, capacity
// with thin over-subscription, the type's volume_backend_name, a required host) then the capacity weigher (most free).
import type { BackendCapabilities } from '../domain/models.ts';

export interface PlacementRequest {
  sizeGb: number;
  availabilityZone?: string;
  extraSpecs: Record<string, string>;
  /** Clones and volumes from snapshots live with their source (host@backend). */
  requiredHost?: string;
}

/** Free space a new volume may use: thin backends may oversubscribe their provisioned space up to the ratio. */
export function virtualFreeGb(c: BackendCapabilities): number {
  if (!c.thinProvisioning) return c.freeCapacityGb;
  return Math.min(c.freeCapacityGb * c.maxOverSubscriptionRatio, c.totalCapacityGb * c.maxOverSubscriptionRatio - c.provisionedCapacityGb);
}

const filters: ((c: BackendCapabilities, r: PlacementRequest) => boolean)[] = [
  (c, r) => r.availabilityZone === undefined || c.availabilityZone === r.availabilityZone,
  (c, r) => virtualFreeGb(c) >= r.sizeGb && c.freeCapacityGb > 0,
  (c, r) => r.extraSpecs.volume_backend_name === undefined || r.extraSpecs.volume_backend_name === c.backendName,
  (c, r) => r.requiredHost === undefined || c.host === r.requiredHost,
];

/** The best backend for the request, or undefined ("No valid backend was found"). */
export function selectBackend(backends: BackendCapabilities[], r: PlacementRequest): BackendCapabilities | undefined {
  const ok = backends.filter((c) => filters.every((f) => f(c, r)));
  return ok.sort((a, b) => virtualFreeGb(b) - virtualFreeGb(a) || a.host.localeCompare(b.host))[0];
}

/** What the scheduler assumes a placement consumed, until the backend's next report says the truth. */
export function consume(c: BackendCapabilities, sizeGb: number): BackendCapabilities {
  return { ...c, provisionedCapacityGb: c.provisionedCapacityGb + sizeGb, freeCapacityGb: c.thinProvisioning ? c.freeCapacityGb : c.freeCapacityGb - sizeGb };
}
