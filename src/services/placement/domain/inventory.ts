// Inventory rules without I/O: defaults, capacity, and whether an amount may be allocated from an inventory.
import { BadRequest } from '#lib/errors.ts';

/** Placement stores totals and units as 32-bit integers. */
export const MAX_INT = 2147483647;
/** The largest allocation_ratio Placement accepts (a single-precision float's maximum). */
export const MAX_ALLOCATION_RATIO = 3.40282e38;

export interface Inventory {
  total: number;
  reserved: number;
  minUnit: number;
  maxUnit: number;
  stepSize: number;
  allocationRatio: number;
}

/** An inventory as a request gives it: only total is required, the rest take Placement's defaults. */
export interface InventoryInput {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

export function inventoryFromInput(input: InventoryInput): Inventory {
  return {
    total: input.total, reserved: input.reserved ?? 0, minUnit: input.min_unit ?? 1,
    maxUnit: input.max_unit ?? MAX_INT, stepSize: input.step_size ?? 1, allocationRatio: input.allocation_ratio ?? 1.0,
  };
}

/** How much may be allocated in all: (total − reserved) × allocation_ratio. Compared unrounded, as Placement does. */
export function capacity(inv: Inventory): number {
  return (inv.total - inv.reserved) * inv.allocationRatio;
}

/** The capacity shown in provider summaries: Placement truncates it to an integer. */
export function displayCapacity(inv: Inventory): number {
  return Math.trunc(capacity(inv));
}

/** Whether one allocation of `amount` respects min_unit, max_unit and step_size. */
export function respectsUnits(inv: Inventory, amount: number): boolean {
  return amount >= inv.minUnit && amount <= inv.maxUnit && amount % inv.stepSize === 0;
}

/** Whether `amount` more fits next to `used`: the units rule and used + amount ≤ capacity. */
export function fits(inv: Inventory, used: number, amount: number): boolean {
  return respectsUnits(inv, amount) && used + amount <= capacity(inv);
}

/**
 * Refuses an inventory Placement would refuse: reserved ≥ total (reserved = total is allowed from microversion 1.26),
 * and, beyond Placement, min_unit > max_unit, which could never be allocated from. Throws 400 with the reason.
 */
export function validateInventory(resourceClass: string, providerUuid: string, inv: Inventory, reservedMayEqualTotal: boolean): void {
  const where = `Invalid inventory for '${resourceClass}' on resource provider '${providerUuid}'.`;
  const cap = capacity(inv);
  if (reservedMayEqualTotal ? cap < 0 : cap <= 0) {
    throw new BadRequest(reservedMayEqualTotal
      ? `${where} The reserved value is greater than total.`
      : `${where} The reserved value is greater than or equal to total.`);
  }
  if (inv.minUnit > inv.maxUnit) throw new BadRequest(`${where} min_unit (${inv.minUnit}) is greater than max_unit (${inv.maxUnit}).`);
}
