// JSON schema of POST /v3/auth/tokens, after Keystone's: strict about types, tolerant of unknown methods' bodies.
const name = { type: 'string', minLength: 1, maxLength: 255 } as const;
const domainRef = {
  type: 'object', properties: { id: name, name }, anyOf: [{ required: ['id'] }, { required: ['name'] }],
} as const;
const userRef = {
  type: 'object',
  properties: { id: name, name, domain: domainRef, password: { type: 'string', maxLength: 4096 } },
  anyOf: [{ required: ['id'] }, { required: ['name', 'domain'] }],
} as const;

export const authRequestSchema = {
  type: 'object',
  required: ['auth'],
  properties: {
    auth: {
      type: 'object',
      required: ['identity'],
      properties: {
        identity: {
          type: 'object',
          required: ['methods'],
          properties: {
            methods: { type: 'array', minItems: 1, items: { type: 'string' } },
            password: { type: 'object', required: ['user'], properties: { user: { ...userRef, required: ['password'] } } },
            token: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 2048 } } },
            application_credential: {
              type: 'object', required: ['secret'],
              properties: { id: name, name, secret: { type: 'string', minLength: 1, maxLength: 4096 }, user: userRef },
            },
          },
        },
        // The string form is only 'unscoped'; otherwise an object. if/then/else (not anyOf) so a bad object is
        // reported by what is wrong inside it, not as "must be string".
        scope: {
          type: ['string', 'object'],
          if: { type: 'string' },
          then: { enum: ['unscoped'] },
          else: {
            type: 'object',
            properties: {
              project: { type: 'object', properties: { id: name, name, domain: domainRef }, anyOf: [{ required: ['id'] }, { required: ['name', 'domain'] }] },
              domain: domainRef,
              system: { type: 'object', properties: { all: { type: 'boolean' } }, required: ['all'] },
              'OS-TRUST:trust': { type: 'object', required: ['id'], properties: { id: name } },
            },
            additionalProperties: false,
          },
        },
      },
    },
  },
} as const;
