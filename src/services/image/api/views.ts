// Images and members as Glance v2 shows them: custom properties at the top level, locations never shown (with several
// stores, only which stores hold the data), timestamps to the second with a Z.
import type { Image, Member } from '../domain/image-model.ts';
import type { StoreSet } from '../stores/store-set.ts';

export const glanceTime = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z');

/**
 * `stores` (Glance's multi-store field) lists the stores holding a copy, comma-separated in the order reads try them,
 * when more than one store is configured.
 */
export function imageView(i: Image, stores: StoreSet): Record<string, unknown> {
  const holders = stores.stores.length > 1 ? i.locations.map((l) => l.store).join(',') : '';
  return {
    ...(holders ? { stores: holders } : {}),
    ...i.properties,
    name: i.name, disk_format: i.diskFormat, container_format: i.containerFormat, visibility: i.visibility, size: i.size,
    virtual_size: i.virtualSize, status: i.status, checksum: i.checksum, protected: i.protected, min_ram: i.minRam,
    min_disk: i.minDisk, owner: i.owner, os_hidden: i.osHidden, os_hash_algo: i.osHashAlgo, os_hash_value: i.osHashValue,
    id: i.id, created_at: glanceTime(i.createdAt), updated_at: glanceTime(i.updatedAt), tags: i.tags,
    self: `/v2/images/${i.id}`, file: `/v2/images/${i.id}/file`, schema: '/v2/schemas/image',
  };
}

export function memberView(m: Member): Record<string, unknown> {
  return {
    member_id: m.memberId, image_id: m.imageId, status: m.status, created_at: glanceTime(m.createdAt),
    updated_at: glanceTime(m.updatedAt), schema: '/v2/schemas/member',
  };
}
