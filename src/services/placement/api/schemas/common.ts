// Building blocks of Placement's request schemas.
import { NAME_PATTERN } from '../../domain/resource-classes.ts';
import { MAX_ALLOCATION_RATIO, MAX_INT } from '../../domain/inventory.ts';
import { UUID_PATTERN } from '../deps.ts';

export const uuidString = { type: 'string', pattern: UUID_PATTERN } as const;
export const nameString = { type: 'string', pattern: NAME_PATTERN, maxLength: 255 } as const;
export const generation = { type: 'integer' } as const;

/** Resource class names to positive integer amounts, at least one. */
export const resourceAmounts = {
  type: 'object', minProperties: 1,
  patternProperties: { [NAME_PATTERN]: { type: 'integer', minimum: 1, maximum: MAX_INT } },
  additionalProperties: false,
} as const;

/** One inventory record as PUT and POST take it: total required, the rest defaulted. */
export const inventoryFields = {
  total: { type: 'integer', minimum: 1, maximum: MAX_INT },
  reserved: { type: 'integer', minimum: 0, maximum: MAX_INT },
  min_unit: { type: 'integer', minimum: 1, maximum: MAX_INT },
  max_unit: { type: 'integer', minimum: 1, maximum: MAX_INT },
  step_size: { type: 'integer', minimum: 1, maximum: MAX_INT },
  allocation_ratio: { type: 'number', minimum: 0, maximum: MAX_ALLOCATION_RATIO },
} as const;

/** A query value: one string, or a list when the key may repeat. */
export const queryValue = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;
