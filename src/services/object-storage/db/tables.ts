// Object Storage's tables as Kysely types: the account and container servers' listings and metadata.
import type { Kysely } from 'kysely';

export interface AccountRow {
  account: string;
  created_at: string;
  /** JSON object of X-Account-Meta-* (lower-cased names without the prefix). */
  meta: string;
}

export interface ContainerRow {
  id: string;
  account: string;
  name: string;
  created_at: string;
  put_timestamp: string;
  /** JSON object of X-Container-Meta-* (lower-cased names without the prefix). */
  meta: string;
  read_acl: string | null;
  write_acl: string | null;
  /** JSON object of system metadata (versions-location, versions-mode): set by the proxy, not shown as meta. */
  sysmeta: string;
  object_count: number | string;
  bytes_used: number | string;
}

export interface ObjectListingRow {
  container_id: string;
  name: string;
  /** The name's first 200 characters: indexed for ordered listings (a full 1024-byte name is too long to index on MySQL). */
  name_head: string;
  /** md5 of the name: the unique key per container. */
  name_hash: string;
  timestamp: string;
  etag: string;
  bytes: number | string;
  content_type: string;
  last_modified: string;
  /** X-Delete-At in epoch seconds: the expirer removes the object after it; listings leave it out. */
  delete_at: number | string | null;
}

export interface ObjectStorageTables {
  accounts: AccountRow;
  containers: ContainerRow;
  object_listings: ObjectListingRow;
}

export type ObjectStorageDb = Kysely<ObjectStorageTables>;
