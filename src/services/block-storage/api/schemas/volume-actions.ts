// JSON schemas of POST /volumes/{id}/action: exactly one action per request, each with Cinder's own body.
import { booleanish } from './common.ts';
import { VOLUME_STATUSES } from '../../domain/volume-states.ts';

const empty = { type: ['object', 'null'], additionalProperties: false, properties: {} } as const;
const connector = { type: 'object' } as const;

export const volumeActionBody = {
  type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false,
  properties: {
    'os-extend': {
      type: 'object', required: ['new_size'], additionalProperties: false,
      properties: { new_size: { anyOf: [{ type: 'integer', minimum: 1, maximum: 2147483647 }, { type: 'string', pattern: '^[1-9][0-9]{0,9}$' }] } },
    },
    'os-reset_status': {
      type: 'object', minProperties: 1, additionalProperties: false,
      properties: {
        status: { type: 'string', enum: [...VOLUME_STATUSES, ...VOLUME_STATUSES.map((s) => s.toUpperCase())] },
        attach_status: { type: 'string', enum: ['attached', 'detached'] },
        migration_status: { type: ['string', 'null'] },
      },
    },
    'os-force_delete': empty,
    'os-set_bootable': { type: 'object', required: ['bootable'], additionalProperties: false, properties: { bootable: booleanish } },
    'os-update_readonly_flag': { type: 'object', required: ['readonly'], additionalProperties: false, properties: { readonly: booleanish } },
    'os-reserve': empty,
    'os-unreserve': empty,
    'os-begin_detaching': empty,
    'os-roll_detaching': empty,
    'os-initialize_connection': { type: 'object', required: ['connector'], additionalProperties: false, properties: { connector } },
    'os-terminate_connection': { type: 'object', required: ['connector'], additionalProperties: false, properties: { connector: { type: ['object', 'null'] } } },
    'os-attach': {
      type: 'object', required: ['mountpoint'], additionalProperties: false,
      properties: {
        instance_uuid: { type: ['string', 'null'] }, host_name: { type: ['string', 'null'] },
        mountpoint: { type: 'string', minLength: 1, maxLength: 255 }, mode: { type: 'string', enum: ['rw', 'ro'] },
      },
    },
    'os-retype': {
      type: 'object', required: ['new_type'], additionalProperties: false,
      properties: { new_type: { type: 'string', minLength: 1, maxLength: 255 }, migration_policy: { type: ['string', 'null'], enum: ['never', 'on-demand', null] } },
    },
    'os-migrate_volume': {
      type: 'object', additionalProperties: false,
      properties: { host: { type: ['string', 'null'], minLength: 1, maxLength: 255 }, force_host_copy: { anyOf: [booleanish, { type: 'null' }] }, lock_volume: { anyOf: [booleanish, { type: 'null' }] } },
    },
    'os-volume_upload_image': {
      type: 'object', required: ['image_name'], additionalProperties: false,
      properties: {
        image_name: { type: 'string', minLength: 1, maxLength: 255 }, force: { anyOf: [booleanish, { type: 'null' }] },
        disk_format: { type: 'string', enum: ['raw', 'qcow2'] }, container_format: { type: 'string', enum: ['bare'] },
        visibility: { type: 'string', enum: ['public', 'private', 'shared', 'community'] }, protected: { anyOf: [booleanish, { type: 'null' }] },
      },
    },
    'os-detach': { type: ['object', 'null'], additionalProperties: false, properties: { attachment_id: { type: ['string', 'null'] } } },
  },
} as const;
