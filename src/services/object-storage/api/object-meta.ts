// Object POST (replace user metadata, content type, expiry, a DLO's X-Object-Manifest) and DELETE (a tombstone on
// every replica; with ?multipart-manifest=delete an SLO's segments go too, slo-delete.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { removeObject, updateListedObject } from '../db/listings-repo.ts';
import { validContentType } from '../domain/content-type.ts';
import { notFound } from '../domain/errors.ts';
import { deleteAtFrom } from '../domain/expiry.ts';
import { cleanContentType, listingContentType } from '../domain/large-object-listing.ts';
import { checkMetaLimits, metaFromHeaders } from '../domain/metadata.ts';
import { versioningOf } from '../domain/versioning.ts';
import type { ProxyDeps } from './deps.ts';
import { header, newTimestamp } from './deps.ts';
import { containerFor, liveObject } from './object-lookup.ts';
import { underPendingUpdate } from './object-updater.ts';
import { objectManifestHeader, refuseSloHeader } from './object-write.ts';
import type { ObjectPath } from './replicas.ts';
import { deleteSloAsync, wantsAsyncDelete } from './slo-async-delete.ts';
import { deleteSloManifest } from './slo-delete.ts';
import { versionedDelete } from './versioned-writes.ts';

export async function postObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  const { container } = await containerFor(deps, req, 'object-write', path);
  refuseSloHeader(req);
  // Like user metadata, X-Object-Manifest is replaced by what the POST carries: without it, a DLO becomes plain.
  const objectManifest = objectManifestHeader(req);
  // POST replaces all user metadata with what the request carries (Swift's default, without fast-post merging).
  const meta = Object.fromEntries(Object.entries(metaFromHeaders('object', req.headers)).filter((e): e is [string, string] => e[1] !== undefined));
  checkMetaLimits(meta);
  const given = header(req, 'content-type')?.trim() || undefined;
  if (given !== undefined && !validContentType(given)) throw new BadRequest('Invalid Content-Type header.');
  const contentType = given === undefined ? undefined : cleanContentType(given);
  const deleteAt = deleteAtFrom({ at: header(req, 'x-delete-at'), after: header(req, 'x-delete-after'), remove: header(req, 'x-remove-delete-at') !== undefined }, Date.now() / 1000);
  const current = await liveObject(deps, path);
  const timestamp = newTimestamp();
  const posted = await underPendingUpdate(deps, { ...path, op: 'post', timestamp }, () => deps.replicas.post(path, { timestamp, meta, contentType, deleteAt, objectManifest: objectManifest ?? null }),
    async (ok) => { if (ok) await updateListedObject(deps.db, container.id, path.object, { contentType: contentType === undefined ? undefined : listingContentType(contentType, current.slo), deleteAt }); });
  if (!posted) throw notFound();
  return reply.code(202).type('text/html; charset=UTF-8').send();
}

/**
 * Deletes an object for the caller (who must be able to write its container): tombstones on the replicas, then the
 * listing row. Throws 404 (after tombstoning anyway) when there was no live object.
 */
export async function removeObjectAt(deps: ProxyDeps, req: FastifyRequest, path: ObjectPath): Promise<void> {
  const { container } = await containerFor(deps, req, 'object-write', path);
  const versioning = versioningOf(container.sysmeta);
  if (versioning && await versionedDelete(deps, path, container, versioning)) return;
  const existed = await liveObject(deps, path).then(() => true, () => false);
  const timestamp = newTimestamp();
  await underPendingUpdate(deps, { ...path, op: 'delete', timestamp }, () => deps.replicas.delete(path, timestamp), () => removeObject(deps.db, container.id, path.object, timestamp));
  if (!existed) throw notFound();
}

export async function deleteObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  const q = req.query as Record<string, unknown>;
  if (q['multipart-manifest'] === 'delete') return wantsAsyncDelete(q) ? deleteSloAsync(deps, req, reply, path) : deleteSloManifest(deps, req, reply, path);
  await removeObjectAt(deps, req, path);
  return reply.code(204).type('text/html; charset=UTF-8').send();
}
