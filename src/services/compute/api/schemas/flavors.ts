// JSON schemas of the flavor requests, after Nova's own (nova/api/openstack/compute/schemas/flavor_*.py).

const MAX_INT = 2147483647;
const name = { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S(.*\\S)?$' };
const description = { type: ['string', 'null'], minLength: 0, maxLength: 65535 };

export const createFlavorBody = {
  type: 'object', required: ['flavor'], additionalProperties: false,
  properties: {
    flavor: {
      type: 'object', required: ['name', 'ram', 'vcpus', 'disk'], additionalProperties: false,
      properties: {
        name,
        id: { type: ['string', 'null'], minLength: 1, maxLength: 255, pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$' },
        ram: { type: 'integer', minimum: 1, maximum: MAX_INT },
        vcpus: { type: 'integer', minimum: 1, maximum: MAX_INT },
        disk: { type: 'integer', minimum: 0, maximum: MAX_INT },
        'OS-FLV-EXT-DATA:ephemeral': { type: 'integer', minimum: 0, maximum: MAX_INT },
        swap: { type: 'integer', minimum: 0, maximum: MAX_INT },
        rxtx_factor: { type: 'number', exclusiveMinimum: 0, maximum: 3.40282e38 },
        'os-flavor-access:is_public': { type: 'boolean' },
        description,
      },
    },
  },
} as const;

export const updateFlavorBody = {
  type: 'object', required: ['flavor'], additionalProperties: false,
  properties: { flavor: { type: 'object', required: ['description'], additionalProperties: false, properties: { description } } },
} as const;

/** Nova ignores query parameters it does not know on flavor lists. */
export const listFlavorsQuery = {
  type: 'object',
  properties: {
    is_public: { type: 'string' },
    minRam: { type: 'integer', minimum: 0 },
    minDisk: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 0 },
    marker: { type: 'string' },
    sort_key: { type: 'string', enum: ['flavorid'] },
    sort_dir: { type: 'string', enum: ['asc', 'desc'] },
  },
} as const;

const specKey = '^[a-zA-Z0-9-_:. /]{1,255}$';
const specValue = { type: ['string', 'number', 'boolean'], maxLength: 255 };

export const createExtraSpecsBody = {
  type: 'object', required: ['extra_specs'], additionalProperties: false,
  properties: { extra_specs: { type: 'object', patternProperties: { [specKey]: specValue }, additionalProperties: false } },
} as const;

export const updateExtraSpecBody = {
  type: 'object', minProperties: 1, maxProperties: 1, patternProperties: { [specKey]: specValue }, additionalProperties: false,
} as const;

const tenant = { type: 'object', required: ['tenant'], additionalProperties: false, properties: { tenant: { type: 'string', minLength: 1, maxLength: 255 } } };

export const flavorActionBody = {
  type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false,
  properties: { addTenantAccess: tenant, removeTenantAccess: tenant },
} as const;
