// The Image service's tables as Kysely types: ids are strings, timestamps ISO strings, sizes bigint (read with Number).
import type { Kysely } from 'kysely';

export interface ImageRow {
  id: string;
  name: string | null;
  /** The owning project; null only for images an admin created without an owner. */
  owner: string | null;
  status: string;
  visibility: string;
  disk_format: string | null;
  container_format: string | null;
  size: number | string | null;
  virtual_size: number | string | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: number;
  min_ram: number;
  protected: boolean | number;
  os_hidden: boolean | number;
  /** Where staged data waits (`uploading`/`importing` images, in the staging store); the stored copies are in image_locations. */
  location: string | null;
  created_at: string;
  updated_at: string;
}

/** Custom properties, one row each, so lists can filter on them. */
export interface ImagePropertyRow { image_id: string; name: string; value: string }
export interface ImageTagRow { image_id: string; value: string }
/** One copy of an image's data per store; `position` orders reads (the first copy first). */
export interface ImageLocationRow { image_id: string; store: string; url: string; position: number }
/** A running import's heartbeat: its lock expires once `updated_at` is older than import_lock_expiry. */
export interface ImageImportTaskRow { task_id: string; image_id: string; updated_at: string }
export interface ImageMemberRow { image_id: string; member: string; status: string; created_at: string; updated_at: string }

export interface ImageTables {
  images: ImageRow;
  image_properties: ImagePropertyRow;
  image_tags: ImageTagRow;
  image_members: ImageMemberRow;
  image_locations: ImageLocationRow;
  image_import_tasks: ImageImportTaskRow;
}

export type ImageDb = Kysely<ImageTables>;
