// JSON schemas of identity resource bodies; Keystone accepts extra attributes on most entities and stores them.
export const nameSchema = { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' } as const;
export const idSchema = { type: 'string', minLength: 1, maxLength: 64 } as const;
const description = { type: ['string', 'null'], maxLength: 65535 } as const;
const enabled = { type: 'boolean' } as const;
const tags = { type: 'array', maxItems: 80, items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' } } as const;

/** Wraps an entity schema in its envelope: { "project": {...} }. */
export function envelope(key: string, entity: object) {
  return { type: 'object', required: [key], properties: { [key]: entity }, additionalProperties: false } as const;
}

export const domainCreate = { type: 'object', required: ['name'], properties: { name: nameSchema, description, enabled, tags, options: { type: 'object' }, explicit_domain_id: idSchema } };
export const domainUpdate = { type: 'object', minProperties: 1, properties: { name: nameSchema, description, enabled, tags, options: { type: 'object' } } };

export const projectCreate = {
  type: 'object', required: ['name'],
  properties: { name: nameSchema, description, enabled, domain_id: { type: ['string', 'null'], maxLength: 64 }, parent_id: { type: ['string', 'null'], maxLength: 64 }, is_domain: { type: 'boolean', const: false }, tags, options: { type: 'object' } },
};
export const projectUpdate = { type: 'object', minProperties: 1, properties: { name: nameSchema, description, enabled, tags, options: { type: 'object' }, domain_id: idSchema, is_domain: { type: 'boolean' } } };

const password = { type: ['string', 'null'], maxLength: 4096 } as const;
export const userCreate = {
  type: 'object', required: ['name'],
  properties: { name: nameSchema, domain_id: idSchema, enabled, password, default_project_id: { type: ['string', 'null'], maxLength: 64 }, description, email: { type: ['string', 'null'], maxLength: 255 }, options: { type: 'object' } },
};
export const userUpdate = { type: 'object', minProperties: 1, properties: { name: nameSchema, domain_id: idSchema, enabled, password, default_project_id: { type: ['string', 'null'], maxLength: 64 }, description, email: { type: ['string', 'null'], maxLength: 255 }, options: { type: 'object' } } };
export const passwordChange = envelope('user', {
  type: 'object', required: ['password', 'original_password'], additionalProperties: false,
  properties: { password: { type: 'string', minLength: 1, maxLength: 4096 }, original_password: { type: 'string', maxLength: 4096 } },
});

export const groupCreate = { type: 'object', required: ['name'], properties: { name: nameSchema, domain_id: idSchema, description } };
export const groupUpdate = { type: 'object', minProperties: 1, properties: { name: nameSchema, description } };

export const roleCreate = { type: 'object', required: ['name'], additionalProperties: false, properties: { name: nameSchema, domain_id: { type: ['string', 'null'], maxLength: 64 }, description, options: { type: 'object' } } };
export const roleUpdate = { type: 'object', minProperties: 1, additionalProperties: false, properties: { name: nameSchema, description, options: { type: 'object' } } };

const url = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[a-zA-Z0-9+.-]+://' } as const;
export const regionCreate = { type: 'object', properties: { id: nameSchema, description, parent_region_id: { type: ['string', 'null'], maxLength: 255 } } };
export const regionUpdate = { type: 'object', minProperties: 1, properties: { description, parent_region_id: { type: ['string', 'null'], maxLength: 255 } } };
export const serviceCreate = { type: 'object', required: ['type'], properties: { type: nameSchema, name: { type: 'string', maxLength: 255 }, description, enabled } };
export const serviceUpdate = { type: 'object', minProperties: 1, properties: { type: nameSchema, name: { type: 'string', maxLength: 255 }, description, enabled } };
const iface = { type: 'string', enum: ['public', 'internal', 'admin'] } as const;
export const endpointCreate = { type: 'object', required: ['service_id', 'interface', 'url'], properties: { service_id: idSchema, interface: iface, url, region_id: { type: ['string', 'null'], maxLength: 255 }, region: { type: ['string', 'null'], maxLength: 255 }, enabled } };
export const endpointUpdate = { type: 'object', minProperties: 1, properties: { service_id: idSchema, interface: iface, url, region_id: { type: ['string', 'null'], maxLength: 255 }, region: { type: ['string', 'null'], maxLength: 255 }, enabled } };

const roleRef = { type: 'object', properties: { id: idSchema, name: nameSchema }, anyOf: [{ required: ['id'] }, { required: ['name'] }] } as const;
export const appCredCreate = envelope('application_credential', {
  type: 'object', required: ['name'], additionalProperties: false,
  properties: {
    name: nameSchema, description, secret: { type: ['string', 'null'], maxLength: 4096 },
    expires_at: { type: ['string', 'null'], maxLength: 64 }, roles: { type: 'array', items: roleRef },
    unrestricted: { type: ['boolean', 'null'] }, access_rules: { type: 'array', maxItems: 0 },
  },
});
