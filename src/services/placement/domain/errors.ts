// Placement's errors: each carries one of Placement's error codes (placement.*), which clients such as Nova's report
// client match on, and message texts that begin the way Placement's do.
import { StratusError } from '#lib/errors.ts';

/** Placement's error codes (api-ref "Errors"); any other error is rendered with placement.undefined_code. */
export const PLACEMENT_CODES = {
  undefinedCode: 'placement.undefined_code',
  inventoryInUse: 'placement.inventory.inuse',
  concurrentUpdate: 'placement.concurrent_update',
  duplicateName: 'placement.duplicate_name',
  providerInUse: 'placement.resource_provider.inuse',
  cannotDeleteParent: 'placement.resource_provider.cannot_delete_parent',
  providerNotFound: 'placement.resource_provider.not_found',
  duplicateKey: 'placement.query.duplicate_key',
  badValue: 'placement.query.bad_value',
  missingValue: 'placement.query.missing_value',
} as const;

export type PlacementCode = (typeof PLACEMENT_CODES)[keyof typeof PLACEMENT_CODES];

/** An error with an explicit Placement code; plain kit errors (NotFound, BadRequest…) get placement.undefined_code. */
export class PlacementError extends StratusError {
  constructor(status: number, code: PlacementCode, message: string) {
    super(status, code, message);
  }
}

export const concurrentUpdate = (message: string): PlacementError => new PlacementError(409, PLACEMENT_CODES.concurrentUpdate, message);
export const inventoryInUse = (message: string): PlacementError => new PlacementError(409, PLACEMENT_CODES.inventoryInUse, message);
export const duplicateName = (message: string): PlacementError => new PlacementError(409, PLACEMENT_CODES.duplicateName, message);
export const providerInUse = (message: string): PlacementError => new PlacementError(409, PLACEMENT_CODES.providerInUse, message);
export const cannotDeleteParent = (message: string): PlacementError => new PlacementError(409, PLACEMENT_CODES.cannotDeleteParent, message);
export const queryBadValue = (message: string): PlacementError => new PlacementError(400, PLACEMENT_CODES.badValue, message);
export const queryMissingValue = (message: string): PlacementError => new PlacementError(400, PLACEMENT_CODES.missingValue, message);
export const queryDuplicateKey = (message: string): PlacementError => new PlacementError(400, PLACEMENT_CODES.duplicateKey, message);

/** Placement's text when a provider's generation moved under a request (the compare-and-swap failed). */
export const PROVIDER_CHANGED = 'Another thread concurrently updated the resource provider data. Please retry your update';
/** The text PUTs that carry a stale resource_provider_generation get. */
export const GENERATION_CHANGED = "Resource provider's generation already changed. Please update the generation and try again.";
