// Request schemas of allocations (PUT one consumer, POST several) and the reshaper, per microversion band.
import { generation, inventoryFields, nameString, resourceAmounts, uuidString } from './common.ts';
import { UUID_PATTERN } from '../deps.ts';
import type { Schema } from '../validate.ts';

const externalId = { type: 'string', minLength: 1, maxLength: 255 } as const;
const consumerGeneration = { type: ['integer', 'null'] } as const;
const consumerType = { ...nameString, minLength: 1 } as const;
const mappings = {
  type: 'object', minProperties: 1,
  patternProperties: { '^[a-zA-Z0-9_-]{0,64}$': { type: 'array', minItems: 1, items: uuidString } },
  additionalProperties: false,
} as const;

/** 1.0–1.11: a list of {resource_provider: {uuid}, resources}. */
const allocationList = {
  type: 'array', minItems: 1,
  items: {
    type: 'object',
    properties: {
      resource_provider: { type: 'object', properties: { uuid: uuidString }, required: ['uuid'], additionalProperties: false },
      resources: resourceAmounts,
    },
    required: ['resource_provider', 'resources'],
    additionalProperties: false,
  },
} as const;

/** 1.12+: by provider uuid; each entry may echo the provider generation it was read at (ignored, as in Placement). */
const allocationDict = (minProperties: number) => ({
  type: 'object', minProperties,
  patternProperties: { [UUID_PATTERN]: { type: 'object', properties: { generation, resources: resourceAmounts }, required: ['resources'], additionalProperties: false } },
  additionalProperties: false,
});

const consumer = (minor: number, minAllocations: number): Schema => {
  const properties: Record<string, unknown> = { allocations: allocationDict(minAllocations), project_id: externalId, user_id: externalId };
  const required = ['allocations', 'project_id', 'user_id'];
  if (minor >= 28) { properties.consumer_generation = consumerGeneration; required.push('consumer_generation'); }
  if (minor >= 34) properties.mappings = mappings;
  if (minor >= 38) { properties.consumer_type = consumerType; required.push('consumer_type'); }
  return { type: 'object', properties, required, additionalProperties: false };
};

export const allocationsPut10: Schema = { type: 'object', properties: { allocations: allocationList }, required: ['allocations'], additionalProperties: false };
export const allocationsPut18: Schema = {
  type: 'object', properties: { allocations: allocationList, project_id: externalId, user_id: externalId },
  required: ['allocations', 'project_id', 'user_id'], additionalProperties: false,
};
export const allocationsPut112 = consumer(12, 1);
export const allocationsPut128 = consumer(28, 0);
export const allocationsPut134 = consumer(34, 0);
export const allocationsPut138 = consumer(38, 0);

const byConsumer = (minor: number, minProperties: number): Schema => ({
  type: 'object', minProperties, patternProperties: { [UUID_PATTERN]: consumer(minor, 0) }, additionalProperties: false,
});
export const allocationsPost113 = byConsumer(13, 1);
export const allocationsPost128 = byConsumer(28, 1);
export const allocationsPost134 = byConsumer(34, 1);
export const allocationsPost138 = byConsumer(38, 1);

const reshaper = (minor: number): Schema => ({
  type: 'object',
  properties: {
    inventories: {
      type: 'object', minProperties: 1,
      patternProperties: {
        [UUID_PATTERN]: {
          type: 'object',
          properties: {
            resource_provider_generation: generation,
            inventories: {
              type: 'object',
              patternProperties: { [nameString.pattern]: { type: 'object', properties: inventoryFields, required: ['total'], additionalProperties: false } },
              additionalProperties: false,
            },
          },
          required: ['resource_provider_generation', 'inventories'],
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    allocations: byConsumer(Math.max(minor, 28), 0),
  },
  required: ['inventories', 'allocations'],
  additionalProperties: false,
});
export const reshaper130 = reshaper(30);
export const reshaper134 = reshaper(34);
export const reshaper138 = reshaper(38);
