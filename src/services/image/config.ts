// The Image service's options, declared as data (section `image` of stratus.yaml, STRATUS_IMAGE_<OPTION>).
import type { OptionSet, OptionValues } from '#lib/config/options.ts';

export const imageOptions = {
  port: { type: 'number', default: 9292, min: 0, max: 65535, help: 'Port of the Image API.' },
  store_dir: { type: 'string', default: '', help: 'Directory of the file store; empty for <data>/images.' },
  stores: { type: 'list', default: ['file'], help: 'The stores image data may live in (Glance\'s enabled_backends): file, object-store (Object Storage, found in the glance user\'s catalog).' },
  default_store: { type: 'string', default: 'file', choices: ['file', 'object-store'], help: 'The store new image data goes to; must be one of `stores`.' },
  object_store_container: { type: 'string', default: 'glance', help: 'Container of the object-store store in the image service\'s own Object Storage account; created on first use.' },
  image_count_total: { type: 'number', default: -1, min: -1, help: 'Most images a project may own (any status); -1 for no limit.' },
  image_size_total: { type: 'number', default: -1, min: -1, help: 'Most bytes of image data a project may store, uploads in flight included; -1 for no limit.' },
  image_size_cap: { type: 'number', default: 1099511627776, min: 1, help: 'Largest image, in bytes, an upload may store (Glance\'s image_size_cap, 1 TiB).' },
  image_member_quota: { type: 'number', default: 128, min: -1, help: 'Most members an image may have; -1 for no limit.' },
  image_property_quota: { type: 'number', default: 128, min: -1, help: 'Most custom properties an image may have; -1 for no limit.' },
  image_tag_quota: { type: 'number', default: 128, min: -1, help: 'Most tags an image may have; -1 for no limit.' },
  import_lock_expiry: { type: 'number', default: 3600, min: 1, max: 100000000, help: 'Seconds an import task may go without its heartbeat before the next import of its image takes its lock over (Glance busts a stale import lock after an hour).' },
  limit_param_default: { type: 'number', default: 25, min: 1, max: 100000, help: 'Images a list returns when the request has no limit.' },
  api_limit_max: { type: 'number', default: 1000, min: 1, max: 100000, help: 'Most images a list returns, whatever limit asks.' },
  policy_file: { type: 'string', default: '', help: 'YAML or JSON file of policy rule overrides (oslo.policy style); empty for the defaults.' },
} as const satisfies OptionSet;

export type ImageOptions = OptionValues<typeof imageOptions>;
