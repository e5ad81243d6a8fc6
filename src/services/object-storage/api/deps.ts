// What the proxy's handlers share: the database, the replicas, policy and settings; and the small helpers every
// handler uses (Swift timestamps, the account's project, request header access).
import type { FastifyRequest } from 'fastify';
import type { Logger } from '#lib/log.ts';
import type { PolicyEnforcer } from '#lib/policy/index.ts';
import type { ObjectStorageDb } from '../db/tables.ts';
import type { PendingUpdates } from './pending-updates.ts';
import type { Replicas } from './replicas.ts';

export interface ProxySettings {
  verifyOnReadMaxBytes: number;
  maxFileSize: number;
  listingLimit: number;
  /** Origins allowed CORS requests to every container (Swift's cors_allow_origin). */
  corsAllowOrigin: readonly string[];
}

export interface ProxyDeps {
  db: ObjectStorageDb;
  replicas: Replicas;
  /** Swift's async_pending: a record per write until its listing update is done (object-updater.ts). */
  pending: PendingUpdates;
  policy: PolicyEnforcer;
  settings: ProxySettings;
  log: Logger;
}

let lastTimestamp = '';

/**
 * A Swift timestamp for a write: seconds with 5 decimals, fixed width so it sorts as text, strictly increasing in
 * this process so two writes in one 10 µs never tie.
 */
export function newTimestamp(now = Date.now()): string {
  let ts = (now / 1000).toFixed(5).padStart(16, '0');
  if (ts <= lastTimestamp) ts = (Number(lastTimestamp) + 0.00001).toFixed(5).padStart(16, '0');
  lastTimestamp = ts;
  return ts;
}

/** A Swift timestamp as an ISO date (what the database keeps). */
export const timestampToIso = (ts: string): string => new Date(Math.floor(Number(ts) * 1000)).toISOString();

/** Last-Modified for a Swift timestamp: HTTP date, rounded up to the second as Swift does. */
export const lastModifiedOf = (ts: string): { header: string; seconds: number } => {
  const seconds = Math.ceil(Number(ts));
  return { header: new Date(seconds * 1000).toUTCString(), seconds };
};

/** One request header as a string (repeated headers joined), or undefined. */
export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}
