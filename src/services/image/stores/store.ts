// The store interface: where image data lives. The file store is the default; the object-store store (Object Storage)
// is another implementation of the same interface. Data streams in and out; no store holds an image in memory.
import type { Readable, Writable } from 'node:stream';

/** Data being written: nothing is visible under the image's location until commit() succeeds. */
export interface PendingWrite {
  /** Where the upload pipeline writes; ends when the data is complete. */
  readonly stream: Writable;
  /** Makes the complete data the image's data (atomically) and returns its location. */
  commit(): Promise<string>;
  /** Removes whatever was written. Idempotent; safe after a failed or partial write. */
  abort(): Promise<void>;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/** What /v2/info/stores/detail tells an admin about a store: its driver type and its settings, as Glance names them. */
export interface StoreDetail {
  type: string;
  properties: Record<string, unknown>;
}

export interface ImageStore {
  /** The store's identifier, as /v2/info/stores lists it. */
  readonly id: string;
  readonly description: string;
  /** The store's type and settings for /v2/info/stores/detail. */
  detail?(): StoreDetail;
  /** Whether `location` (as commit() returned it) is data of this store. */
  owns(location: string): boolean;
  /** The largest image the store can hold, when it has a limit of its own (below the service's image_size_cap). */
  maxImageSize?(): Promise<number>;
  /** Starts writing the data of an image; the caller pipes into `stream`, then commits or aborts. */
  begin(imageId: string): Promise<PendingWrite>;
  /** Streams the data at `location`, or part of it. Rejects when the data is missing. */
  open(location: string, range?: ByteRange): Promise<Readable>;
  /** Deletes the data at `location`. Idempotent: missing data is not an error. */
  delete(location: string): Promise<void>;
}
