// Object POST (replace user metadata, content type, expiry) and DELETE (a tombstone on every replica).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { removeObject, updateListedObject } from '../db/listings-repo.ts';
import { validContentType } from '../domain/content-type.ts';
import { notFound } from '../domain/errors.ts';
import { deleteAtFrom } from '../domain/expiry.ts';
import { checkMetaLimits, metaFromHeaders } from '../domain/metadata.ts';
import type { ProxyDeps } from './deps.ts';
import { header, newTimestamp } from './deps.ts';
import { containerFor, liveObject } from './object-lookup.ts';
import { refuseManifests } from './object-write.ts';
import type { ObjectPath } from './replicas.ts';

export async function postObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  const { container } = await containerFor(deps, req, 'object-write', path);
  refuseManifests(req);
  // POST replaces all user metadata with what the request carries (Swift's default, without fast-post merging).
  const meta = Object.fromEntries(Object.entries(metaFromHeaders('object', req.headers)).filter((e): e is [string, string] => e[1] !== undefined));
  checkMetaLimits(meta);
  const contentType = header(req, 'content-type')?.trim() || undefined;
  if (contentType !== undefined && !validContentType(contentType)) throw new BadRequest('Invalid Content-Type header.');
  const deleteAt = deleteAtFrom({ at: header(req, 'x-delete-at'), after: header(req, 'x-delete-after'), remove: header(req, 'x-remove-delete-at') !== undefined }, Date.now() / 1000);
  await liveObject(deps, path);
  if (!await deps.replicas.post(path, { timestamp: newTimestamp(), meta, contentType, deleteAt })) throw notFound();
  await updateListedObject(deps.db, container.id, path.object, { contentType, deleteAt });
  return reply.code(202).type('text/html; charset=UTF-8').send();
}

export async function deleteObject(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: ObjectPath): Promise<FastifyReply> {
  const { container } = await containerFor(deps, req, 'object-write', path);
  const existed = await liveObject(deps, path).then(() => true, () => false);
  const timestamp = newTimestamp();
  await deps.replicas.delete(path, timestamp);
  await removeObject(deps.db, container.id, path.object, timestamp);
  if (!existed) throw notFound();
  return reply.code(204).type('text/html; charset=UTF-8').send();
}
