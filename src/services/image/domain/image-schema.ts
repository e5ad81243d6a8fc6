// The image and member JSON schemas: served at /v2/schemas/* (clients such as glanceclient validate with them) and
// used here to validate what clients send, so the published schema and the enforced one cannot drift apart.
import { Ajv } from 'ajv';
import { CONTAINER_FORMATS, DISK_FORMATS, MEMBER_STATUSES, STATUSES, VISIBILITIES } from './image-model.ts';

const UUID = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';
const nullable = (type: string) => ['null', type];

/** Glance's base properties plus the common optional ones (Glance ships them in schema-image.json). */
const imageProperties = {
  id: { type: 'string', description: 'An identifier for the image', pattern: UUID },
  name: { type: nullable('string'), description: 'Descriptive name for the image', maxLength: 255 },
  status: { type: 'string', readOnly: true, description: 'Status of the image', enum: [...STATUSES] },
  visibility: { type: 'string', description: 'Scope of image accessibility', enum: [...VISIBILITIES] },
  protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
  os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
  checksum: { type: nullable('string'), readOnly: true, description: 'md5 hash of image contents.', maxLength: 32 },
  os_hash_algo: { type: nullable('string'), readOnly: true, description: 'Algorithm to calculate the os_hash_value', maxLength: 64 },
  os_hash_value: { type: nullable('string'), readOnly: true, description: 'Hexdigest of the image contents using the algorithm specified by the os_hash_algo', maxLength: 128 },
  owner: { type: nullable('string'), description: 'Owner of the image', maxLength: 255 },
  size: { type: nullable('integer'), readOnly: true, description: 'Size of image file in bytes' },
  virtual_size: { type: nullable('integer'), readOnly: true, description: 'Virtual size of image in bytes' },
  container_format: { type: nullable('string'), description: 'Format of the container', enum: [null, ...CONTAINER_FORMATS] },
  disk_format: { type: nullable('string'), description: 'Format of the disk', enum: [null, ...DISK_FORMATS] },
  created_at: { type: 'string', readOnly: true, description: 'Date and time of image registration' },
  updated_at: { type: 'string', readOnly: true, description: 'Date and time of the last image modification' },
  tags: { type: 'array', description: 'List of strings related to the image', items: { type: 'string', maxLength: 255 } },
  direct_url: { type: 'string', readOnly: true, description: 'URL to access the image file kept in external store' },
  min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
  min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
  self: { type: 'string', readOnly: true, description: 'An image self url' },
  file: { type: 'string', readOnly: true, description: 'An image file url' },
  stores: { type: 'string', readOnly: true, description: 'Store in which image data resides. Only present when the operator has enabled multiple stores. May be a comma-separated list of store identifiers.' },
  schema: { type: 'string', readOnly: true, description: 'An image schema url' },
  locations: {
    type: 'array', description: 'A set of URLs to access the image file kept in external store',
    items: { type: 'object', required: ['url', 'metadata'], properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } } },
  },
  kernel_id: { type: nullable('string'), pattern: UUID, description: 'ID of an image to use as the kernel when booting an AMI-style image.', is_base: false },
  ramdisk_id: { type: nullable('string'), pattern: UUID, description: 'ID of an image to use as the ramdisk when booting an AMI-style image.', is_base: false },
  instance_uuid: { type: 'string', description: 'The instance this image was made from (informational only).', is_base: false },
  architecture: { type: 'string', description: 'Operating system architecture (e.g. x86_64, aarch64).', is_base: false },
  os_distro: { type: 'string', description: 'Common name of the operating system distribution (e.g. debian, ubuntu).', is_base: false },
  os_version: { type: 'string', description: 'Operating system version as specified by the distributor.', is_base: false },
  description: { type: 'string', description: 'A human-readable string describing this image.', is_base: false },
  cinder_encryption_key_id: { type: 'string', description: 'Key manager identifier of the key Block Storage uses for volumes made from this image.', is_base: false },
  cinder_encryption_key_deletion_policy: {
    type: 'string', enum: ['on_image_deletion', 'do_not_delete'], is_base: false,
    description: 'Whether the key named by cinder_encryption_key_id is deleted with the image.',
  },
};

export const imageSchema = {
  name: 'image',
  properties: imageProperties,
  additionalProperties: { type: 'string' },
  links: [{ rel: 'self', href: '{self}' }, { rel: 'enclosure', href: '{file}' }, { rel: 'describedby', href: '{schema}' }],
};

export const imagesSchema = {
  name: 'images',
  properties: {
    images: { type: 'array', items: imageSchema },
    schema: { type: 'string' },
    first: { type: 'string' },
    next: { type: 'string' },
  },
  links: [{ rel: 'first', href: '{first}' }, { rel: 'next', href: '{next}' }, { rel: 'describedby', href: '{schema}' }],
};

const memberProperties = {
  member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
  image_id: { type: 'string', description: 'An identifier for the image', pattern: UUID },
  created_at: { type: 'string', description: 'Date and time of image member creation' },
  updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
  status: { type: 'string', description: 'The status of this image member', enum: [...MEMBER_STATUSES] },
  schema: { readOnly: true, type: 'string' },
};

export const memberSchema = { name: 'member', properties: memberProperties };
export const membersSchema = {
  name: 'members',
  properties: { members: { type: 'array', items: memberSchema }, schema: { type: 'string' } },
  links: [{ rel: 'describedby', href: '{schema}' }],
};

const ajv = new Ajv({ allErrors: false, strict: false });
const validateImage = ajv.compile({ type: 'object', properties: imageProperties, additionalProperties: { type: 'string' } });

/**
 * Checks a (partial) image document against the image schema; returns undefined when valid, else a message in the
 * spirit of Glance's ("Provided object does not match schema 'image': ...").
 */
export function imageSchemaProblem(doc: Record<string, unknown>): string | undefined {
  if (validateImage(doc)) return undefined;
  const e = validateImage.errors?.[0];
  const field = e?.instancePath ? e.instancePath.slice(1).split('/')[0] : '';
  const value = field ? JSON.stringify(doc[field]) : '';
  let what = e?.message ?? 'is not valid';
  if (e?.keyword === 'enum') what = `is not one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  return `Provided object does not match schema 'image': ${field ? `${value} ` : ''}${what}${field ? ` (attribute '${field}')` : ''}`;
}
