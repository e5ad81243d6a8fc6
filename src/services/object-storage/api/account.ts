// Account requests: HEAD and GET (stats, metadata and the container listing) and POST (metadata).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getAccount, updateAccountMeta } from '../db/accounts-repo.ts';
import { containerPage } from '../db/listings-repo.ts';
import { walkListing } from '../domain/listing.ts';
import { mergeMeta, metaFromHeaders, metaHeaders } from '../domain/metadata.ts';
import { authorize } from './access.ts';
import type { ProxyDeps } from './deps.ts';
import { CONTENT_TYPES, listingFormat, listingQuery, renderContainerListing } from './listing-format.ts';

/** Account metadata only the owner sees (the TempURL keys are secrets). */
const SECRET_META = /^temp-url-key(-2)?$/;

async function accountHeaders(deps: ProxyDeps, account: string, owner: boolean): Promise<Record<string, string>> {
  const info = await getAccount(deps.db, account);
  const visible = Object.fromEntries(Object.entries(info.meta).filter(([k]) => owner || !SECRET_META.test(k)));
  const created = info.createdAt ? (Date.parse(info.createdAt) / 1000).toFixed(5) : undefined;
  return {
    'x-account-container-count': String(info.containerCount), 'x-account-object-count': String(info.objectCount),
    'x-account-bytes-used': String(info.bytesUsed), ...(created ? { 'x-timestamp': created, 'x-put-timestamp': created } : {}),
    'x-account-storage-policy-policy-0-container-count': String(info.containerCount),
    'x-account-storage-policy-policy-0-object-count': String(info.objectCount),
    'x-account-storage-policy-policy-0-bytes-used': String(info.bytesUsed),
    ...metaHeaders('account', visible),
  };
}

export async function accountRequest(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, account: string): Promise<FastifyReply> {
  switch (req.method) {
    case 'HEAD': {
      const { owner } = authorize(deps, req, 'account-read', account);
      return reply.code(204).headers(await accountHeaders(deps, account, owner)).type(CONTENT_TYPES.plain).send();
    }
    case 'GET': {
      const { owner } = authorize(deps, req, 'account-read', account);
      const format = listingFormat(req);
      const query = listingQuery(req, deps.settings.listingLimit);
      const entries = await walkListing(query, (p) => containerPage(deps.db, account, p));
      reply.headers(await accountHeaders(deps, account, owner)).type(CONTENT_TYPES[format]);
      if (entries.length === 0 && format === 'plain') return reply.code(204).send();
      return reply.code(200).send(renderContainerListing(entries, format, account));
    }
    case 'POST': {
      authorize(deps, req, 'account-write', account);
      const changes = metaFromHeaders('account', req.headers);
      await updateAccountMeta(deps.db, account, new Date().toISOString(), (current) => mergeMeta(current, changes));
      return reply.code(204).type(CONTENT_TYPES.plain).send();
    }
    default:
      return reply.code(405).header('allow', 'HEAD, GET, POST').type(CONTENT_TYPES.plain).send('Method Not Allowed');
  }
}
