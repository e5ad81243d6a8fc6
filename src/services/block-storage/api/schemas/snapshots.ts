// JSON schemas of the snapshot requests, after Cinder's (cinder/api/schemas/snapshots.py).
import { booleanish, descriptionField, metadataField, nameField, uuidField } from './common.ts';
import { SNAPSHOT_STATUSES } from '../../domain/volume-states.ts';

export const createSnapshotBody = {
  type: 'object', required: ['snapshot'], additionalProperties: false,
  properties: {
    snapshot: {
      type: 'object', required: ['volume_id'], additionalProperties: false,
      properties: {
        volume_id: uuidField, name: nameField, description: descriptionField, display_name: nameField, display_description: descriptionField,
        force: { anyOf: [booleanish, { type: 'null' }] }, metadata: { anyOf: [metadataField, { type: 'null' }] },
      },
    },
  },
} as const;

export const updateSnapshotBody = {
  type: 'object', required: ['snapshot'], additionalProperties: false,
  properties: {
    snapshot: {
      type: 'object', minProperties: 1, additionalProperties: false,
      properties: { name: nameField, description: descriptionField, display_name: nameField, display_description: descriptionField },
    },
  },
} as const;

export const snapshotActionBody = {
  type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false,
  properties: {
    'os-reset_status': { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { type: 'string', enum: [...SNAPSHOT_STATUSES] } } },
    'os-force_delete': { type: ['object', 'null'] },
  },
} as const;

export const listSnapshotsQuery = {
  type: 'object', additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 0 }, marker: { type: 'string' }, offset: { type: 'integer', minimum: 0 },
    sort: { type: 'string' }, sort_key: { type: 'string' }, sort_dir: { type: 'string', enum: ['asc', 'desc'] },
    all_tenants: { type: 'string' }, project_id: { type: 'string' }, name: { type: 'string' }, status: { type: 'string' },
    volume_id: { type: 'string' }, with_count: { type: 'string' },
  },
} as const;
