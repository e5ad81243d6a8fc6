// The object server's interface as the proxy calls it: one device, one partition, one object per call. Shaped like
// Swift's object-server HTTP API (PUT/GET/HEAD/POST/DELETE /<device>/<partition>/<account>/<container>/<object> with
// X-Timestamp), so an HTTP transport can replace the in-process one without changing the proxy.
import type { Readable } from 'node:stream';
import type { ByteRange } from '../domain/conditions.ts';

export type { ByteRange };

export interface ObjectAddress {
  device: string;
  partition: number;
  account: string;
  container: string;
  object: string;
}

/** What an object server stores beside the bytes. */
export interface ObjectMetadata {
  /** Swift timestamp of the PUT (seconds with 5 decimals, fixed width so it sorts as text). */
  timestamp: string;
  etag: string;
  size: number;
  contentType: string;
  meta: Record<string, string>;
  /** Epoch seconds after which the object is gone (X-Delete-At). */
  deleteAt?: number;
  /** Timestamp of the last POST, if any. */
  metaTimestamp?: string;
  /** A Dynamic Large Object manifest's X-Object-Manifest (`<container>/<prefix>`, as the client sent it, %-encoded). */
  objectManifest?: string;
  /** Set on a Static Large Object manifest: the large object's ETag and size (Swift's slo-etag and slo-size sysmeta). */
  slo?: LargeObjectSummary;
}

export interface LargeObjectSummary { etag: string; size: number }

/** A HEAD answer: the live object's metadata, or a tombstone saying when it was deleted. */
export type ObjectState = { kind: 'object'; metadata: ObjectMetadata } | { kind: 'deleted'; timestamp: string };

export interface PutObjectOptions {
  timestamp: string;
  contentType: string;
  meta: Record<string, string>;
  deleteAt?: number;
  /** The client's ETag: the replica is not committed unless the data's MD5 matches (422). */
  expectedEtag?: string;
  /** The client's Content-Length: the replica is not committed unless exactly this many bytes arrived. */
  expectedSize?: number;
  objectManifest?: string;
  slo?: LargeObjectSummary;
  /**
   * In process only: the MD5 of the body, which the proxy computes once over the very buffers it feeds every replica;
   * callable once the body has ended. Saves hashing the same bytes once per replica. A server that receives the bytes
   * any other way (over HTTP) ignores it and hashes them itself.
   */
  bodyMd5?: () => string;
}

/** What a GET asks for: a range, whether to check the MD5 first, and the version the proxy's HEAD already chose. */
export interface GetObjectOptions {
  range?: ByteRange;
  verify: boolean;
  /**
   * The version to read (its timestamp, ETag and size, from a HEAD): a server may open that version's bytes directly
   * and check them against this instead of finding and reading the newest metadata again. Returned as the metadata.
   */
  version?: ObjectMetadata;
}

export interface ObjectServer {
  /** Whether the device is present (Swift's mount check); a proxy skips absent devices and uses handoffs. */
  available(device: string): boolean;
  /**
   * Stores the replica durably (temp file, fsync, rename, directory fsync) or not at all: on any error, a short body,
   * or an ETag mismatch nothing becomes visible. Older versions are removed after the commit.
   */
  put(addr: ObjectAddress, opts: PutObjectOptions, data: Readable): Promise<ObjectMetadata>;
  head(addr: ObjectAddress): Promise<ObjectState | undefined>;
  /**
   * Opens the live replica's bytes. With `verify`, the whole replica's MD5 is checked first and a corrupt one is
   * quarantined (CorruptReplica is thrown); without it, a full read is checked at its end and fails the stream.
   */
  get(addr: ObjectAddress, opts: GetObjectOptions): Promise<{ metadata: ObjectMetadata; data: Readable } | undefined>;
  /**
   * Replaces user metadata (and content type, delete-at, a DLO's X-Object-Manifest: null removes it) of the live
   * replica; false when there is none. An SLO stays an SLO: that marker is part of the data, not of the metadata.
   */
  post(addr: ObjectAddress, opts: { timestamp: string; contentType?: string; meta: Record<string, string>; deleteAt?: number | null; objectManifest?: string | null }): Promise<boolean>;
  /**
   * Writes a tombstone at `timestamp` and removes older versions; idempotent. With `ifDeleteAt` (the expirer's
   * X-If-Delete-At), only a live version that still expires at that time is deleted, so a newer upload survives.
   */
  delete(addr: ObjectAddress, opts: { timestamp: string; ifDeleteAt?: number }): Promise<void>;
}
