// Schema pieces shared by the block-storage request bodies, after Cinder's parameter_types.
import { BadRequest } from '#lib/errors.ts';

export const nameField = { type: ['string', 'null'], maxLength: 255 } as const;
export const descriptionField = { type: ['string', 'null'], maxLength: 65535 } as const;
export const uuidField = { type: 'string', pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' } as const;
export const nullableUuid = { anyOf: [{ type: 'null' }, uuidField] } as const;
/** Cinder's metadata: string keys of 1–255 characters, string values up to 255. */
export const metadataField = {
  type: 'object', propertyNames: { minLength: 1, maxLength: 255 }, additionalProperties: { type: 'string', maxLength: 255 },
} as const;
/** cinderclient sends sizes as numbers; Cinder also accepts digit strings. */
export const sizeField = { anyOf: [{ type: 'integer', minimum: 1, maximum: 2147483647 }, { type: 'string', pattern: '^[1-9][0-9]{0,9}$' }] } as const;
export const booleanish = { type: ['boolean', 'string'] } as const;

/** Cinder's strict bool_from_string: true/false words or a 400 naming the field. */
export function toBool(v: boolean | string, field: string): boolean {
  if (typeof v === 'boolean') return v;
  const t = v.toLowerCase();
  if (['true', 't', 'yes', 'y', 'on', '1'].includes(t)) return true;
  if (['false', 'f', 'no', 'n', 'off', '0'].includes(t)) return false;
  throw new BadRequest(`Invalid input for field/attribute ${field}. Value: ${v}. '${v}' is not a valid boolean value`);
}
