// What a proxy and a storage node agree on over HTTP (scale-out): the request signature, the paths and how metadata
// travels in headers. Shared by the storage node's server (agent/storage-node-http.ts) and its client, so both check
// every address part the same way.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest } from '../domain/errors.ts';
import type { ObjectMetadata } from './object-server.ts';
import type { ReplicaVersion } from './object-replication.ts';

/**
 * Requests between nodes are signed with a secret every node of the cloud shares: HMAC-SHA256 over method, path and
 * time. No Identity round trip per replica operation (a storage node keeps working while Identity is down), and a
 * node never answers an unsigned request. A signature is good for SIGNATURE_WINDOW_S either side of its timestamp.
 */
export const SIGNATURE_WINDOW_S = 60;
export const TIMESTAMP_HEADER = 'x-backend-node-timestamp';
export const SIGNATURE_HEADER = 'x-backend-node-signature';
/** Object metadata (ObjectMetadata) or pushed version files, base64url JSON: values need not be Latin-1. */
export const METADATA_HEADER = 'x-backend-metadata';
export const FILES_HEADER = 'x-backend-files';

export function signRequest(secret: string, method: string, path: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${method.toUpperCase()}\n${path}\n${timestamp}`).digest('hex');
}

/** Whether the signature headers are present, fresh and right for this method and path. */
export function verifySignature(secret: string, method: string, path: string, headers: Record<string, string | string[] | undefined>, now = Date.now()): boolean {
  const ts = Number(headers[TIMESTAMP_HEADER]);
  const given = headers[SIGNATURE_HEADER];
  if (!Number.isInteger(ts) || typeof given !== 'string' || Math.abs(now / 1000 - ts) > SIGNATURE_WINDOW_S) return false;
  const want = Buffer.from(signRequest(secret, method, path, ts), 'utf8');
  const got = Buffer.from(given, 'utf8');
  return got.length === want.length && timingSafeEqual(got, want);
}

export function encodeJsonHeader(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeJsonHeader<T>(value: string | string[] | undefined, what: string): T {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value)) throw badRequest(`Missing or malformed ${what} header.`);
  try {
    return JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as T;
  } catch {
    throw badRequest(`Malformed ${what} header.`);
  }
}

const DEVICE = /^[A-Za-z0-9_-]{1,64}$/;
const HASH = /^[0-9a-f]{32}$/;
const SUFFIX = /^[0-9a-f]{3}$/;
const TIMESTAMP = /^\d{10}\.\d{5}$/;

export function checkDevice(device: string): string {
  if (!DEVICE.test(device)) throw badRequest(`Invalid device name ${JSON.stringify(device)}.`);
  return device;
}

export function checkPartition(text: string, partPower: number): number {
  const partition = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(partition < 2 ** partPower)) throw badRequest(`Invalid partition ${JSON.stringify(text)}.`);
  return partition;
}

export function checkHash(hash: unknown): string {
  if (typeof hash !== 'string' || !HASH.test(hash)) throw badRequest(`Invalid object hash ${JSON.stringify(hash)}.`);
  return hash;
}

export function checkSuffixes(suffixes: unknown): string[] {
  if (!Array.isArray(suffixes) || suffixes.length > 4096 || !suffixes.every((s) => typeof s === 'string' && SUFFIX.test(s))) throw badRequest('Invalid suffix list.');
  return suffixes as string[];
}

export function checkTimestamp(ts: unknown): string {
  if (typeof ts !== 'string' || !TIMESTAMP.test(ts)) throw badRequest(`Invalid timestamp ${JSON.stringify(ts)}.`);
  return ts;
}

/** An object's account, container or name as carried in one path segment (%-encoded, `/` included). */
export function checkName(kind: string, name: string, maxBytes: number): string {
  if (name === '' || Buffer.byteLength(name) > maxBytes || name.includes('\0') || !name.isWellFormed()) throw badRequest(`Invalid ${kind} name.`);
  if (kind !== 'object' && name.includes('/')) throw badRequest(`Invalid ${kind} name.`);
  return name;
}

/** Decodes one %-encoded path segment; a malformed escape is a 400. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('Malformed %-encoding in the path.');
  }
}

/** `/<device>/<partition>/<account>/<container>/<object>`, each part %-encoded (an object's `/` too). */
export function objectPath(a: { device: string; partition: number; account: string; container: string; object: string }): string {
  return `/${[a.device, String(a.partition), a.account, a.container, a.object].map(encodeURIComponent).join('/')}`;
}

/**
 * `/_replication/<device>[/<partition>/<operation>]`: replication calls. Object paths always have five segments and
 * these two or four, so a device may have any valid name.
 */
export function replicationPath(device: string, partition?: number, op?: string): string {
  return partition === undefined ? `/_replication/${encodeURIComponent(device)}` : `/_replication/${encodeURIComponent(device)}/${partition}/${op}`;
}

/** The node's device probe: which of its devices are present, and its ring's placement digest. */
export const DEVICES_PATH = '/_node/devices';

/**
 * What every host's ring must agree on for an object to be found where it was put: the hash suffix and partition
 * power. (Assignments may differ for a while as a rebalanced ring is copied around, as in Swift.)
 */
export function placementDigest(ring: { hashSuffix: string; partPower: number }): string {
  return createHash('sha256').update(`${ring.partPower}/${ring.hashSuffix}`).digest('hex').slice(0, 16);
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** A ReplicaVersion from the wire, checked part by part. */
export function checkVersion(v: unknown): ReplicaVersion {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (o.kind !== 'data' && o.kind !== 'ts') throw badRequest('Invalid version kind.');
  return { hash: checkHash(o.hash), timestamp: checkTimestamp(o.timestamp), kind: o.kind, ...(o.metaTimestamp !== undefined ? { metaTimestamp: checkTimestamp(o.metaTimestamp) } : {}) };
}

/** Object metadata from the wire (a pushed replica's sidecar): known fields only, each of the right type. */
export function checkMetadata(m: unknown): ObjectMetadata {
  const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
  const slo = o.slo as Record<string, unknown> | undefined;
  if (typeof o.etag !== 'string' || !/^[0-9a-f]{32}$/.test(o.etag) || !Number.isSafeInteger(o.size) || (o.size as number) < 0
    || typeof o.contentType !== 'string' || !isStringRecord(o.meta)
    || (o.deleteAt !== undefined && !Number.isSafeInteger(o.deleteAt))
    || (o.objectManifest !== undefined && typeof o.objectManifest !== 'string')
    || (slo !== undefined && (typeof slo !== 'object' || slo === null || typeof slo.etag !== 'string' || !Number.isSafeInteger(slo.size)))) {
    throw badRequest('Invalid object metadata.');
  }
  return {
    timestamp: checkTimestamp(o.timestamp), etag: o.etag, size: o.size as number, contentType: o.contentType, meta: o.meta,
    ...(o.deleteAt !== undefined ? { deleteAt: o.deleteAt as number } : {}),
    ...(o.metaTimestamp !== undefined ? { metaTimestamp: checkTimestamp(o.metaTimestamp) } : {}),
    ...(o.objectManifest !== undefined ? { objectManifest: o.objectManifest as string } : {}),
    ...(slo ? { slo: { etag: slo.etag as string, size: slo.size as number } } : {}),
  };
}

export { isStringRecord };
