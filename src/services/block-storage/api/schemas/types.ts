// JSON schemas of the volume type requests, after Cinder's (cinder/api/schemas/volume_types.py, types_extra_specs.py).
import { booleanish } from './common.ts';

const typeName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S(.*\\S)?$' } as const;
const specKey = '^[a-zA-Z0-9-_:. /]{1,255}$';
const specValue = { type: ['string', 'number', 'boolean'], maxLength: 255 } as const;
export const extraSpecsField = { type: 'object', patternProperties: { [specKey]: specValue }, additionalProperties: false } as const;

export const createTypeBody = {
  type: 'object', required: ['volume_type'], additionalProperties: false,
  properties: {
    volume_type: {
      type: 'object', required: ['name'], additionalProperties: false,
      properties: {
        name: typeName, description: { type: ['string', 'null'], maxLength: 255 },
        'os-volume-type-access:is_public': booleanish, is_public: booleanish, extra_specs: extraSpecsField,
      },
    },
  },
} as const;

export const updateTypeBody = {
  type: 'object', required: ['volume_type'], additionalProperties: false,
  properties: {
    volume_type: {
      type: 'object', minProperties: 1, additionalProperties: false,
      properties: { name: typeName, description: { type: ['string', 'null'], maxLength: 255 }, is_public: booleanish },
    },
  },
} as const;

export const extraSpecsBody = {
  type: 'object', required: ['extra_specs'], additionalProperties: false, properties: { extra_specs: extraSpecsField },
} as const;

export const extraSpecItemBody = {
  type: 'object', minProperties: 1, maxProperties: 1, patternProperties: { [specKey]: specValue }, additionalProperties: false,
} as const;

const project = { type: 'object', required: ['project'], additionalProperties: false, properties: { project: { type: 'string', minLength: 1, maxLength: 255 } } } as const;

export const typeActionBody = {
  type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false,
  properties: { addProjectAccess: project, removeProjectAccess: project },
} as const;
