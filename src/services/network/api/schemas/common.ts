// JSON-schema pieces the resource schemas share: Neutron's name/description limits and the body envelope.
export const name = { type: 'string', maxLength: 255 } as const;
export const description = { type: 'string', maxLength: 255 } as const;
export const uuidish = { type: 'string', minLength: 1, maxLength: 64 } as const;
export const bool = { type: 'boolean' } as const;
export const tags = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,]*$' }, maxItems: 50 } as const;

/** `{"<key>": {…properties}}` with no other keys at either level. */
export function envelope(key: string, properties: Record<string, unknown>, required: string[] = []) {
  return {
    type: 'object', additionalProperties: false, required: [key],
    properties: { [key]: { type: 'object', additionalProperties: false, required, properties } },
  } as const;
}
