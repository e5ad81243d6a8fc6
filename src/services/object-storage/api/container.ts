// Container requests: PUT (create, or update an existing one), POST (metadata, ACLs), HEAD (stats), DELETE (only
// when empty), GET (the object listing).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { ensureAccount } from '../db/accounts-repo.ts';
import { createContainer, deleteContainer, getContainer, updateContainer } from '../db/containers-repo.ts';
import type { Container } from '../db/containers-repo.ts';
import { objectPage } from '../db/listings-repo.ts';
import { validAclHeader } from '../domain/acl.ts';
import { containerNotEmpty, notFound } from '../domain/errors.ts';
import { walkListing } from '../domain/listing.ts';
import { checkQuotaMeta } from '../domain/quotas.ts';
import { checkMetaLimits, mergeMeta, metaFromHeaders, metaHeaders } from '../domain/metadata.ts';
import { versioningChanges, versioningHeaders } from '../domain/versioning.ts';
import { authorize } from './access.ts';
import type { ProxyDeps } from './deps.ts';
import { header, newTimestamp } from './deps.ts';
import { CONTENT_TYPES, listingFormat, listingQuery, renderObjectListing } from './listing-format.ts';

/** X-Container-Read/Write from a request: a value sets the ACL, an empty one or X-Remove-… clears it (null). */
function aclsFrom(req: FastifyRequest): { readAcl?: string | null; writeAcl?: string | null } {
  const out: { readAcl?: string | null; writeAcl?: string | null } = {};
  for (const [key, name] of [['readAcl', 'read'], ['writeAcl', 'write']] as const) {
    const value = header(req, `x-container-${name}`);
    if (header(req, `x-remove-container-${name}`) !== undefined) out[key] = null;
    if (value !== undefined) {
      if (!validAclHeader(value)) throw new BadRequest(`Invalid X-Container-${name === 'read' ? 'Read' : 'Write'} header.`);
      out[key] = value.trim() === '' ? null : value.trim();
    }
  }
  return out;
}

function containerHeaders(c: Container, owner: boolean): Record<string, string> {
  const ts = (Date.parse(c.createdAt) / 1000).toFixed(5);
  return {
    'x-container-object-count': String(c.objectCount), 'x-container-bytes-used': String(c.bytesUsed),
    'x-timestamp': ts, 'x-put-timestamp': c.putTimestamp, 'x-storage-policy': 'Policy-0',
    'last-modified': new Date(Math.ceil(Number(c.putTimestamp)) * 1000).toUTCString(),
    ...(owner && c.readAcl ? { 'x-container-read': c.readAcl } : {}),
    ...(owner && c.writeAcl ? { 'x-container-write': c.writeAcl } : {}),
    ...versioningHeaders(c.sysmeta),
    // TempURL keys are secrets: only the owner sees them.
    ...metaHeaders('container', owner ? c.meta : Object.fromEntries(Object.entries(c.meta).filter(([k]) => !/^temp-url-key(-2)?$/.test(k)))),
  };
}

/** Deletes an empty container for the caller: 404 when it does not exist, 409 when it holds objects. */
export async function removeContainerAt(deps: ProxyDeps, req: FastifyRequest, account: string, name: string): Promise<void> {
  authorize(deps, req, 'account-write', account);
  const c = await getContainer(deps.db, account, name);
  if (!c) throw notFound();
  const outcome = await deleteContainer(deps.db, c.id);
  if (outcome === 'missing') throw notFound();
  if (outcome === 'not-empty') throw containerNotEmpty();
}

export async function containerRequest(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, account: string, name: string): Promise<FastifyReply> {
  const load = async () => (await getContainer(deps.db, account, name));
  switch (req.method) {
    case 'PUT': {
      authorize(deps, req, 'account-write', account);
      // One storage policy exists (replication over the one ring): naming another is an error, as on Swift.
      const policyName = header(req, 'x-storage-policy');
      if (policyName !== undefined && policyName.toLowerCase() !== 'policy-0') throw new BadRequest(`Invalid X-Storage-Policy '${policyName}'`);
      const changes = metaFromHeaders('container', req.headers);
      checkQuotaMeta(changes);
      const acls = { ...aclsFrom(req), sysmeta: versioningChanges((n) => header(req, n)) };
      const meta = Object.fromEntries(Object.entries(changes).filter((e): e is [string, string] => e[1] !== undefined));
      checkMetaLimits(meta);
      const now = new Date().toISOString();
      await ensureAccount(deps.db, account, now);
      if (await createContainer(deps.db, { account, name, now, timestamp: newTimestamp(), meta, ...acls })) {
        return reply.code(201).type(CONTENT_TYPES.plain).send();
      }
      const existing = await load();
      if (existing) await updateContainer(deps.db, existing.id, (current) => mergeMeta(current, changes), acls);
      return reply.code(202).type(CONTENT_TYPES.plain).send();
    }
    case 'POST': {
      authorize(deps, req, 'account-write', account);
      const c = await load();
      if (!c) throw notFound();
      const changes = metaFromHeaders('container', req.headers);
      checkQuotaMeta(changes);
      const settings = { ...aclsFrom(req), sysmeta: versioningChanges((n) => header(req, n)) };
      if (!await updateContainer(deps.db, c.id, (current) => mergeMeta(current, changes), settings)) throw notFound();
      return reply.code(204).type(CONTENT_TYPES.plain).send();
    }
    case 'DELETE': {
      await removeContainerAt(deps, req, account, name);
      return reply.code(204).type(CONTENT_TYPES.plain).send();
    }
    case 'HEAD': {
      const c = await load();
      const { owner } = authorize(deps, req, 'container-head', account, c);
      if (!c) throw notFound();
      return reply.code(204).headers(containerHeaders(c, owner)).type(CONTENT_TYPES.plain).send();
    }
    case 'GET': {
      const c = await load();
      const { owner } = authorize(deps, req, 'container-list', account, c);
      if (!c) throw notFound();
      const format = listingFormat(req);
      const entries = await walkListing(listingQuery(req, deps.settings.listingLimit), (p) => objectPage(deps.db, c.id, p));
      reply.headers(containerHeaders(c, owner)).type(CONTENT_TYPES[format]);
      if (entries.length === 0 && format === 'plain') return reply.code(204).send();
      return reply.code(200).send(renderObjectListing(entries, format, name));
    }
    default:
      return reply.code(405).header('allow', 'HEAD, GET, PUT, POST, DELETE').type(CONTENT_TYPES.plain).send('Method Not Allowed');
  }
}
