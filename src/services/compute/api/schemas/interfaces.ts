// JSON schema of POST /servers/{id}/os-interface, after Nova's (schemas/attach_interfaces.py); `tag` is 2.49+, which
// the handler checks since one route serves every version.

const uuid = { type: 'string', pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' };

export const createInterfaceBody = {
  type: 'object', additionalProperties: false,
  properties: {
    interfaceAttachment: {
      type: 'object', additionalProperties: false,
      properties: {
        net_id: uuid,
        port_id: uuid,
        fixed_ips: {
          type: 'array', minItems: 1, maxItems: 1,
          items: { type: 'object', required: ['ip_address'], additionalProperties: false, properties: { ip_address: { type: 'string', minLength: 1 } } },
        },
        tag: { type: 'string', maxLength: 60, pattern: '^[^,/]*$' },
      },
    },
  },
} as const;

export interface CreateInterfaceBody {
  interfaceAttachment?: { net_id?: string; port_id?: string; fixed_ips?: { ip_address: string }[]; tag?: string };
}
