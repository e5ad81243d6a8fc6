// The metadata API (Nova's api-metadata) behind Networking's metadata proxy: identifies the instance from the proxy's
// signed headers, then serves its documents by path; the guest may post its (encrypted) password once.
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Conflict, MethodNotAllowed, NotFound } from '#lib/errors.ts';
import type { ErrorRenderer } from '#lib/http/server.ts';
import { buildInstanceMetadata } from '../domain/instance-metadata.ts';
import type { ComputeDb } from '../db/tables.ts';
import { getInstancePassword, setInstancePassword } from '../db/passwords-repo.ts';
import { verifyProxyHeaders } from './proxy-headers.ts';
import type { ProxiedRequest } from './proxy-headers.ts';
import type { InstanceRecord, InstanceSource } from './instance-source.ts';
import { ec2VersionList, isRootPath, resolveMetadataPath } from './metadata-paths.ts';

/** Nova keeps a password in four 255-character chunks of system metadata: 1020 bytes at most. */
export const PASSWORD_MAX_BYTES = 1020;

export interface MetadataApiDeps {
  db: ComputeDb;
  source: InstanceSource;
  /** The secret Networking's metadata proxy signs instance ids with. */
  sharedSecret: string;
  /** Nova's dhcp_domain, appended to hostnames. */
  dhcpDomain: string;
}

const TEXT = 'text/plain; charset=utf-8';
const notFound = () => new NotFound('The resource could not be found.');

/** Errors as Nova's metadata API (webob) gives them: plain text, status line first. */
export const metadataErrorRenderer: ErrorRenderer = (err) => ({
  body: `${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\n\n${err.message}\n\n`, contentType: TEXT,
});

function pathOf(req: FastifyRequest): string {
  try {
    return decodeURIComponent(req.url.split('?')[0]);
  } catch {
    throw notFound();
  }
}

export function registerMetadataRoutes(app: FastifyInstance, deps: MetadataApiDeps): void {
  // A guest posts its password with whatever content type its tool picks; the body is taken as bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  /** The instance the signed headers name, which must exist and belong to the tenant they name (else 404). */
  async function identify(req: FastifyRequest, path: string): Promise<{ record: InstanceRecord; proxied: ProxiedRequest }> {
    const proxied = verifyProxyHeaders(req.raw.headersDistinct, deps.sharedSecret);
    const record = await deps.source.get(proxied.instanceId);
    const log = { instance: proxied.instanceId, guestAddress: proxied.guestAddress ?? null, path };
    if (!record) {
      req.log.warn(log, 'metadata request for an instance that does not exist');
      throw notFound();
    }
    if (record.instance.projectId !== proxied.tenantId) {
      req.log.warn({ ...log, tenant: proxied.tenantId }, 'metadata request whose tenant does not own the instance');
      throw notFound();
    }
    req.log.info(log, 'metadata request');
    return { record, proxied };
  }

  async function answer(req: FastifyRequest) {
    const path = pathOf(req);
    const { record, proxied } = await identify(req, path);
    const docs = buildInstanceMetadata({
      ...record, dhcpDomain: deps.dhcpDomain, randomSeed: randomBytes(512), remoteAddress: proxied.guestAddress,
    });
    const found = resolveMetadataPath(docs, path);
    if (!found) throw notFound();
    return { found, uuid: record.instance.uuid };
  }

  app.get('/*', async (req, reply) => {
    if (isRootPath(pathOf(req))) return reply.type(TEXT).send(ec2VersionList());
    const { found, uuid } = await answer(req);
    if (found.kind === 'password') return reply.type(TEXT).send((await getInstancePassword(deps.db, uuid)) ?? '');
    return reply.type(found.contentType).send(found.body);
  });

  app.post('/*', async (req, reply) => {
    const { found, uuid } = await answer(req);
    if (found.kind !== 'password') throw new MethodNotAllowed('The method POST is not allowed for this resource.');
    const conflict = () => new Conflict('There was a conflict when trying to complete your request.');
    if ((await getInstancePassword(deps.db, uuid)) !== undefined) throw conflict();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (body.length > PASSWORD_MAX_BYTES) throw new BadRequest('Request is too large.');
    if (!(await setInstancePassword(deps.db, uuid, body.toString('utf8')))) throw conflict();
    req.log.info({ instance: uuid }, 'metadata: the guest stored its password');
    return reply.type(TEXT).send('');
  });
}
