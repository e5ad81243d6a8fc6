// JSON schemas of the volume requests, after Cinder's (cinder/api/schemas/volumes.py), listing every key cinderclient
// and openstacksdk send, nulls included.
import { descriptionField, metadataField, nameField, nullableUuid, sizeField } from './common.ts';

export const createVolumeBody = {
  type: 'object', required: ['volume'], additionalProperties: false,
  properties: {
    volume: {
      type: 'object', additionalProperties: false,
      properties: {
        name: nameField, description: descriptionField, display_name: nameField, display_description: descriptionField,
        size: { anyOf: [sizeField, { type: 'null' }] },
        availability_zone: { type: ['string', 'null'], minLength: 1, maxLength: 255 },
        source_volid: nullableUuid, snapshot_id: nullableUuid, backup_id: nullableUuid,
        volume_type: { type: ['string', 'null'], maxLength: 255 },
        metadata: { anyOf: [metadataField, { type: 'null' }] },
        multiattach: { type: ['boolean', 'null'] },
        imageRef: { type: ['string', 'null'] }, image_id: { type: ['string', 'null'] },
        consistencygroup_id: nullableUuid, group_id: nullableUuid, source_replica: nullableUuid,
        scheduler_hints: { type: ['object', 'null'] },
      },
    },
    'OS-SCH-HNT:scheduler_hints': { type: ['object', 'null'] },
  },
} as const;

export const updateVolumeBody = {
  type: 'object', required: ['volume'], additionalProperties: false,
  properties: {
    volume: {
      type: 'object', additionalProperties: false, minProperties: 1,
      properties: { name: nameField, description: descriptionField, display_name: nameField, display_description: descriptionField, metadata: metadataField },
    },
  },
} as const;

export const listVolumesQuery = {
  type: 'object', additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 0 }, marker: { type: 'string' }, offset: { type: 'integer', minimum: 0 },
    sort: { type: 'string' }, sort_key: { type: 'string' }, sort_dir: { type: 'string', enum: ['asc', 'desc'] },
    all_tenants: { type: 'string' }, project_id: { type: 'string' }, name: { type: 'string' }, status: { type: 'string' },
    availability_zone: { type: 'string' }, bootable: { type: 'string' }, metadata: { type: 'string' }, volume_type: { type: 'string' },
    with_count: { type: 'string' },
  },
} as const;

export const metadataBody = {
  type: 'object', required: ['metadata'], additionalProperties: false, properties: { metadata: metadataField },
} as const;

export const metaItemBody = {
  type: 'object', required: ['meta'], additionalProperties: false,
  properties: { meta: { ...metadataField, minProperties: 1, maxProperties: 1 } },
} as const;
