// JSON schemas of the server requests, after Nova's (nova/api/openstack/compute/schemas/servers.py), reduced to the
// fields this build honours; anything else is a 400, never silently ignored.

const name = { type: 'string', minLength: 1, maxLength: 255 };
const description = { type: ['string', 'null'], maxLength: 255 };
const metadata = {
  type: 'object', maxProperties: 128,
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: 'string', maxLength: 255 } }, additionalProperties: false,
};
const uuidOrEmpty = { type: 'string', maxLength: 255 };
/** Nova's block_device_mapping_v2 items (tag from 2.42 and volume_type from 2.67 are checked in block-device-mapping.ts). */
const blockDeviceMappingV2 = {
  type: 'array',
  items: {
    type: 'object', additionalProperties: false,
    properties: {
      source_type: { type: 'string', enum: ['volume', 'image', 'snapshot', 'blank'] },
      uuid: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-]*$' },
      destination_type: { type: 'string', enum: ['local', 'volume'] },
      guest_format: { type: 'string', maxLength: 255 },
      device_type: { type: 'string', maxLength: 255 },
      disk_bus: { type: 'string', maxLength: 255 },
      boot_index: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$' },
      device_name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._/-]*$' },
      volume_size: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1, maximum: 2147483647 },
      delete_on_termination: { type: ['boolean', 'string'], enum: [true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'] },
      tag: { type: 'string', pattern: '^[^,/]*$', maxLength: 60 },
      volume_type: { type: ['string', 'null'], maxLength: 255 },
    },
  },
};
/** Nova's RFC 1123 hostname (2.90), and its looser fqdn for host names (2.74). */
const hostname = { type: 'string', minLength: 2, maxLength: 63, pattern: '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$' };
const fqdn = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' };
const trustedCerts = {
  type: ['array', 'null'], minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string', minLength: 1 },
};
const ipv4 = { type: 'string', pattern: '^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$' };

export const createServerBody = {
  type: 'object', required: ['server'], additionalProperties: false,
  properties: {
    server: {
      type: 'object', required: ['name', 'flavorRef'], additionalProperties: false,
      properties: {
        name, description,
        imageRef: uuidOrEmpty,
        flavorRef: { type: ['string', 'integer'], minLength: 1 },
        adminPass: { type: 'string' },
        metadata,
        networks: {
          oneOf: [
            { type: 'string', enum: ['auto', 'none'] },
            { type: 'array', items: { type: 'object', additionalProperties: false, properties: {
              uuid: { type: 'string' }, port: { type: ['string', 'null'] }, fixed_ip: { type: 'string' }, tag: { type: 'string' },
            } } },
          ],
        },
        key_name: { type: 'string', minLength: 1, maxLength: 255 },
        user_data: { type: 'string', maxLength: 65535 },
        availability_zone: { type: 'string', minLength: 1, maxLength: 255 },
        config_drive: { type: ['boolean', 'string'] },
        security_groups: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
        min_count: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1 },
        max_count: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1 },
        return_reservation_id: { type: ['boolean', 'string'] },
        block_device_mapping_v2: blockDeviceMappingV2,
        accessIPv4: ipv4,
        accessIPv6: { type: 'string' },
        'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
        // Each needs its microversion (checked in servers.ts): tags 2.52, trusted_image_certificates 2.63,
        // host and hypervisor_hostname 2.74, hostname 2.90.
        tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' }, maxItems: 50 },
        trusted_image_certificates: trustedCerts,
        host: fqdn, hypervisor_hostname: fqdn, hostname,
      },
    },
    'os:scheduler_hints': { type: 'object' },
    'OS-SCH-HNT:scheduler_hints': { type: 'object' },
  },
} as const;

export const updateServerBody = {
  type: 'object', required: ['server'], additionalProperties: false,
  properties: {
    server: {
      type: 'object', additionalProperties: false,
      properties: { name, description, accessIPv4: ipv4, accessIPv6: { type: 'string' }, 'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] }, hostname },
    },
  },
} as const;

export const listServersQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 0 },
    marker: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string' },
    host: { type: 'string' },
    image: { type: 'string' },
    reservation_id: { type: 'string' },
    all_tenants: { type: 'string' },
    project_id: { type: 'string' },
    tenant_id: { type: 'string' },
    deleted: { type: 'string' },
    'changes-since': { type: 'string' },
    // Tag filters (2.26): comma-separated tags.
    tags: { type: 'string' }, 'tags-any': { type: 'string' }, 'not-tags': { type: 'string' }, 'not-tags-any': { type: 'string' },
    'changes-before': { type: 'string' },
    locked: { type: 'string' },
    // Admins' filters, everyone's from 2.83.
    user_id: { type: 'string' }, key_name: { type: 'string' }, availability_zone: { type: 'string' }, config_drive: { type: 'string' },
    power_state: { type: 'string' }, task_state: { type: 'string' }, vm_state: { type: 'string' },
  },
} as const;

/** Every query parameter Nova's server lists know (2.75 turns any other into a 400); those not in listServersQuery are accepted and ignored. */
export const KNOWN_SERVER_LIST_PARAMS = new Set([
  ...Object.keys(listServersQuery.properties), 'launch_index', 'image_ref', 'kernel_id', 'ramdisk_id', 'hostname', 'node', 'flavor', 'launched_at',
  'terminated_at', 'display_name', 'description', 'display_description', 'locked_by', 'uuid', 'root_device_name', 'access_ip_v4', 'access_ip_v6',
  'auto_disk_config', 'progress', 'sort_key', 'sort_dir', 'soft_deleted', 'ip', 'ip6', 'created_at', 'block_device_mapping', 'services', 'metadata',
  'system_metadata', 'info_cache', 'security_groups', 'pci_devices',
]);

export const metadataBody = {
  type: 'object', required: ['metadata'], additionalProperties: false, properties: { metadata },
} as const;

export const metaItemBody = {
  type: 'object', required: ['meta'], additionalProperties: false,
  properties: { meta: { ...metadata, minProperties: 1, maxProperties: 1 } },
} as const;

/** The `rebuild` action's argument (key_name 2.54 and user_data 2.57 are not taken yet). */
export const rebuildAction = {
  type: 'object', required: ['imageRef'], additionalProperties: false,
  properties: {
    imageRef: { type: 'string', minLength: 1, maxLength: 255 }, name, description, adminPass: { type: 'string' }, metadata,
    preserve_ephemeral: { type: 'boolean' }, accessIPv4: ipv4, accessIPv6: { type: 'string' },
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    // trusted_image_certificates needs 2.63 and hostname 2.90 (server-move-actions.ts checks).
    trusted_image_certificates: trustedCerts, hostname,
  },
};

/** The `createImage` action's argument. */
export const createImageAction = {
  type: 'object', required: ['name'], additionalProperties: false, properties: { name, metadata },
};

/** The `resize` action's argument. */
export const resizeAction = {
  type: 'object', required: ['flavorRef'], additionalProperties: false,
  properties: { flavorRef: { type: ['string', 'integer'], minLength: 1 }, 'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] } },
};

/** migrate: null, or from 2.56 an object naming the target host (null: the scheduler picks). */
export const migrateAction = {
  type: ['null', 'object'], additionalProperties: false,
  properties: { host: { type: ['string', 'null'], minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' } },
};

/** confirmResize and revertResize take null. */
export const nullAction = { type: 'null' };

/** shelve and shelveOffload take null (or an empty object). */
export const shelveAction = { type: ['null', 'object'], additionalProperties: false, properties: {} };

/** unshelve: null, or availability_zone (2.77; null to unpin from 2.91) and host (2.91), checked in server-unshelve-args.ts. */
export const unshelveAction = {
  type: ['null', 'object'], additionalProperties: false,
  properties: { availability_zone: { type: ['string', 'null'], minLength: 1, maxLength: 255 }, host: fqdn },
};

/** The `rescue` action's argument: null or an optional password and rescue image (a uuid, as Nova's image_id). */
export const rescueAction = {
  type: ['object', 'null'], additionalProperties: false,
  properties: {
    adminPass: { type: 'string' },
    rescue_image_ref: { type: 'string', pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' },
  },
};
