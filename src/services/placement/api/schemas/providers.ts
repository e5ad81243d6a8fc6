// Request schemas of resource providers, inventories, traits and aggregates, per microversion band.
import { generation, inventoryFields, nameString, queryValue, uuidString } from './common.ts';
import type { Schema } from '../validate.ts';

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const parent = { anyOf: [uuidString, { type: 'null' }] } as const;

export const providerCreate: Schema = { type: 'object', properties: { name, uuid: uuidString }, required: ['name'], additionalProperties: false };
export const providerCreate114: Schema = {
  type: 'object', properties: { name, uuid: uuidString, parent_provider_uuid: parent }, required: ['name'], additionalProperties: false,
};
export const providerUpdate: Schema = { type: 'object', properties: { name }, required: ['name'], additionalProperties: false };
export const providerUpdate114: Schema = { type: 'object', properties: { name, parent_provider_uuid: parent }, required: ['name'], additionalProperties: false };

const listBase = { name: { type: 'string' }, uuid: { type: 'string' } };
export const providerList: Schema = { type: 'object', properties: listBase, additionalProperties: false };
export const providerList13: Schema = { type: 'object', properties: { ...listBase, member_of: queryValue }, additionalProperties: false };
export const providerList14: Schema = { type: 'object', properties: { ...listBase, member_of: queryValue, resources: { type: 'string' } }, additionalProperties: false };
export const providerList114: Schema = {
  type: 'object', properties: { ...listBase, member_of: queryValue, resources: { type: 'string' }, in_tree: { type: 'string' } }, additionalProperties: false,
};
export const providerList118: Schema = {
  type: 'object',
  properties: { ...listBase, member_of: queryValue, resources: { type: 'string' }, in_tree: { type: 'string' }, required: queryValue },
  additionalProperties: false,
};

export const inventoryPost: Schema = {
  type: 'object', properties: { ...inventoryFields, resource_class: nameString }, required: ['resource_class', 'total'], additionalProperties: false,
};
export const inventoryPutOne: Schema = {
  type: 'object', properties: { ...inventoryFields, resource_provider_generation: generation },
  required: ['total', 'resource_provider_generation'], additionalProperties: false,
};
export const inventoriesPut: Schema = {
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
};

export const providerTraitsPut: Schema = {
  type: 'object',
  properties: { traits: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255 } }, resource_provider_generation: generation },
  required: ['traits', 'resource_provider_generation'],
  additionalProperties: false,
};

const aggregateList = { type: 'array', items: uuidString, uniqueItems: true } as const;
export const aggregatesPut: Schema = aggregateList;
export const aggregatesPut119: Schema = {
  type: 'object', properties: { aggregates: aggregateList, resource_provider_generation: generation },
  required: ['aggregates', 'resource_provider_generation'], additionalProperties: false,
};
