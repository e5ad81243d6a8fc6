// Block device mappings an image defines (Nova's _get_image_defined_bdms): the image of a volume-backed server's
// snapshot carries them in its block_device_mapping property (JSON, bdm_v2 True). Booting from such an image merges
// them with the request's mappings — the request's win where both name a device — and, when the image defines the
// boot device, the image → local root mapping that clients insert is dropped (Nova's not_image_and_root_bdm).
import { BadRequest } from '#lib/errors.ts';
import type { ImageRecord } from '#services/image/contract/client.ts';
import type { BdmItem } from './block-device-mapping.ts';

const SOURCES = new Set(['volume', 'image', 'snapshot', 'blank']);
const TRUE = new Set(['true', '1', 'on', 'yes']);

const invalidImage = (why: string) => new BadRequest(`Invalid image metadata. Error: ${why}`);
const stripDev = (name: string | undefined) => (name ?? '').replace(/^\/dev\//, '');

/** One mapping of the image (v2 form: snapshot_id, volume_id or image_id) as a block_device_mapping_v2 item. */
function toItem(raw: unknown): BdmItem {
  if (!raw || typeof raw !== 'object') throw invalidImage('block_device_mapping entries must be objects');
  const m = raw as Record<string, unknown>;
  const source = m.source_type;
  if (typeof source !== 'string' || !SOURCES.has(source)) throw invalidImage(`unknown source_type ${JSON.stringify(source)} in block_device_mapping`);
  const uuid = { snapshot: m.snapshot_id, volume: m.volume_id, image: m.image_id, blank: undefined }[source];
  if (source !== 'blank' && typeof uuid !== 'string') throw invalidImage(`a ${source} mapping needs its ${source}_id`);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    source_type: source as BdmItem['source_type'], ...(uuid ? { uuid: uuid as string } : {}),
    destination_type: m.destination_type === 'local' ? 'local' : 'volume',
    ...(typeof m.boot_index === 'number' ? { boot_index: m.boot_index } : {}),
    ...(str(m.device_name) ? { device_name: str(m.device_name) } : {}),
    ...(typeof m.volume_size === 'number' ? { volume_size: m.volume_size } : {}),
    ...(typeof m.delete_on_termination === 'boolean' ? { delete_on_termination: m.delete_on_termination } : {}),
    ...(str(m.disk_bus) ? { disk_bus: str(m.disk_bus) } : {}),
    ...(str(m.device_type) ? { device_type: str(m.device_type) } : {}),
    ...(str(m.guest_format) ? { guest_format: str(m.guest_format) } : {}),
  };
}

/** The v2 mappings an image defines; [] for an ordinary image (or legacy v1 mappings, which Stratus does not read). */
export function imageDefinedBdms(image: ImageRecord | undefined): BdmItem[] {
  const raw = image?.block_device_mapping;
  if (raw === undefined || raw === null || raw === '') return [];
  if (!TRUE.has(String(image?.bdm_v2 ?? '').toLowerCase())) return [];
  let list: unknown;
  try {
    list = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    throw invalidImage('block_device_mapping is not valid JSON');
  }
  if (!Array.isArray(list)) throw invalidImage('A list is required in field img_block_device_mapping');
  return list.map(toItem);
}

const bootIndexOf = (m: BdmItem) => (m.boot_index === undefined || m.boot_index === null ? null : Number(m.boot_index));

/**
 * The request's mappings merged over the image's (Nova's _merge_bdms_lists): an image mapping is dropped when the
 * request names its device, or when both would be the boot device; with an image-defined root the request's
 * image → boot 0 mapping goes.
 */
export function mergeImageBdms(fromImage: BdmItem[], requested: BdmItem[]): BdmItem[] {
  if (!fromImage.length) return requested;
  const imageRoot = fromImage.some((m) => bootIndexOf(m) === 0);
  const asked = imageRoot ? requested.filter((m) => !(bootIndexOf(m) === 0 && m.source_type === 'image')) : requested;
  const devices = new Set(asked.map((m) => stripDev(m.device_name)).filter(Boolean));
  const askedRoot = asked.some((m) => bootIndexOf(m) === 0);
  const kept = fromImage.filter((m) => !devices.has(stripDev(m.device_name)) && !(askedRoot && bootIndexOf(m) === 0));
  return [...kept, ...asked];
}
