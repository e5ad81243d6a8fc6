// Loading what an object request needs: the container (for ACLs and listing updates) and the object's live state.
import type { FastifyRequest } from 'fastify';
import { getContainer } from '../db/containers-repo.ts';
import type { Container } from '../db/containers-repo.ts';
import { notFound } from '../domain/errors.ts';
import { expired } from '../domain/expiry.ts';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import { authorize } from './access.ts';
import type { Access, Operation } from './access.ts';
import type { ProxyDeps } from './deps.ts';
import { grantCovers } from './tempurl.ts';
import type { ObjectPath } from './replicas.ts';

/** Authorizes `op` on the object's container and returns the container; 404 when the container does not exist. */
export async function containerFor(deps: ProxyDeps, req: FastifyRequest, op: Operation, path: ObjectPath): Promise<{ container: Container; access: Access }> {
  const container = await getContainer(deps.db, path.account, path.container);
  const access = grantCovers(req, op, path) ? { owner: false } : authorize(deps, req, op, path.account, container);
  if (!container) throw notFound();
  return { container, access };
}

/** The object's live metadata (not deleted, not expired); 404 otherwise. */
export async function liveObject(deps: ProxyDeps, path: ObjectPath): Promise<ObjectMetadata> {
  const state = await deps.replicas.head(path);
  if (state?.kind !== 'object' || expired(state.metadata.deleteAt, Date.now() / 1000)) throw notFound();
  return state.metadata;
}
