// JSON schemas of OS-TRUST trust and credential bodies, after Keystone's: both keep unknown attributes as extras.
import { envelope, idSchema, nameSchema } from './resources.ts';

const nullableId = { type: ['string', 'null'], maxLength: 64 } as const;

export const trustCreate = envelope('trust', {
  type: 'object', required: ['trustor_user_id', 'trustee_user_id', 'impersonation'],
  properties: {
    trustor_user_id: idSchema, trustee_user_id: idSchema, impersonation: { type: 'boolean' },
    project_id: nullableId,
    remaining_uses: { type: ['integer', 'null'], minimum: 1 },
    expires_at: { type: ['string', 'null'], maxLength: 64 },
    allow_redelegation: { type: ['boolean', 'null'] },
    redelegation_count: { type: ['integer', 'null'], minimum: 0 },
    roles: {
      type: 'array', maxItems: 100,
      items: { type: 'object', properties: { id: idSchema, name: nameSchema }, minProperties: 1, maxProperties: 1, additionalProperties: false },
    },
  },
});

const credentialProperties = {
  blob: { type: 'string', maxLength: 65535 },
  project_id: nullableId,
  type: { type: 'string', minLength: 1, maxLength: 255 },
  user_id: idSchema,
} as const;

export const credentialCreate = envelope('credential', {
  type: 'object', required: ['blob', 'type', 'user_id'],
  properties: { id: { type: 'string', maxLength: 64 }, ...credentialProperties },
});

export const credentialUpdate = envelope('credential', {
  type: 'object', minProperties: 1,
  properties: { id: { type: 'string', maxLength: 64 }, ...credentialProperties },
});
