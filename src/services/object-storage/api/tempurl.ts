// TempURL: a request carrying temp_url_sig and temp_url_expires is let in without a token when the signature, made
// with a key from the account's (or container's) metadata, covers this method and path and has not expired. The
// grant covers exactly the signed object (or prefix), never a copy source or any other object.
import type { FastifyRequest } from 'fastify';
import { Unauthorized } from '#lib/errors.ts';
import { getAccount } from '../db/accounts-repo.ts';
import { getContainer } from '../db/containers-repo.ts';
import { parseExpires, parseSignature, signatureMatches } from '../domain/tempurl.ts';
import type { Operation } from './access.ts';
import type { ProxyDeps } from './deps.ts';
import type { ObjectPath } from './replicas.ts';

export interface TempUrlGrant {
  path: ObjectPath;
  /** Set for a prefix-based URL: every object whose name starts with it. */
  prefix?: string;
  method: string;
}

const grants = new WeakMap<FastifyRequest, TempUrlGrant>();

const invalid = () => new Unauthorized('Temp URL invalid');

/** Checks a request's TempURL parameters, if any; remembers the grant for grantCovers. Throws 401 on a bad URL. */
export async function checkTempUrl(deps: ProxyDeps, req: FastifyRequest, path: ObjectPath): Promise<void> {
  const q = req.query as Record<string, unknown>;
  if (q.temp_url_sig === undefined && q.temp_url_expires === undefined) return;
  if (typeof q.temp_url_sig !== 'string' || typeof q.temp_url_expires !== 'string') throw invalid();
  const sig = parseSignature(q.temp_url_sig);
  const expires = parseExpires(q.temp_url_expires);
  if (!sig || expires === undefined || expires < Date.now() / 1000) throw invalid();
  const prefix = typeof q.temp_url_prefix === 'string' ? q.temp_url_prefix : undefined;
  if (prefix !== undefined && !path.object.startsWith(prefix)) throw invalid();
  const [account, container] = await Promise.all([getAccount(deps.db, path.account), getContainer(deps.db, path.account, path.container)]);
  const keys = [account.meta['temp-url-key'], account.meta['temp-url-key-2'], container?.meta['temp-url-key'], container?.meta['temp-url-key-2']]
    .filter((k): k is string => typeof k === 'string' && k !== '');
  const signedPath = prefix !== undefined ? `prefix:/v1/${path.account}/${path.container}/${prefix}` : `/v1/${path.account}/${path.container}/${path.object}`;
  // A HEAD may use a URL signed for GET, HEAD or PUT, as with Swift.
  const methods = req.method === 'HEAD' ? ['HEAD', 'GET', 'PUT'] : [req.method];
  const method = signatureMatches(keys, sig, methods, expires, signedPath);
  if (!method) throw invalid();
  grants.set(req, { path, prefix, method });
}

/** Lets the request write objects whose names start with `prefix` in `path`'s container (a valid FormPOST signature). */
export function grantFormPost(req: FastifyRequest, path: ObjectPath, prefix: string): void {
  grants.set(req, { path, prefix, method: req.method });
}

/** Whether the request's TempURL grant lets it perform `op` on `path`. */
export function grantCovers(req: FastifyRequest, op: Operation, path: ObjectPath): boolean {
  const g = grants.get(req);
  if (!g || g.path.account !== path.account || g.path.container !== path.container) return false;
  if (g.prefix !== undefined ? !path.object.startsWith(g.prefix) : g.path.object !== path.object) return false;
  return op === 'object-read' ? ['GET', 'HEAD', 'PUT'].includes(g.method) && (req.method === 'GET' || req.method === 'HEAD') : op === 'object-write' && g.method === req.method;
}

/** The Content-Disposition a TempURL GET answers with (a download unless ?inline), as Swift does. */
export function tempUrlDisposition(req: FastifyRequest, objectName: string): string | undefined {
  if (!grants.has(req) || req.method !== 'GET') return undefined;
  const q = req.query as Record<string, unknown>;
  if (q.inline !== undefined) return 'inline';
  const name = typeof q.filename === 'string' ? q.filename : objectName.split('/').at(-1) ?? objectName;
  return `attachment; filename="${name.replace(/["\\\r\n]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
